/**
 * Real-kernel test harness: isolated network namespaces wired like a Kubernetes node.
 *
 *   client ns (external client, 2 addresses)          podc ns (a pod on this node, as a client)
 *        |  to-node                                          |  to-node
 *        |                                                   |
 *   to-client ---------------- node ns ------------------ to-podc
 *   (node IPs)        ip_forward=1, the ruleset        (routes to the client pod)
 *                              |  to-pod
 *                              |
 *                       pod ns (every endpoint IP on one veth, listeners on 0.0.0.0)
 *
 * Every link is /32 addressing with explicit device routes, so any node IP or pod IP a fixture
 * uses can be mapped in. With `ipv6: true` the same links also carry IPv6 (/128 addresses without
 * duplicate address detection, the same routes): a dual-stack node. A separate `podc` namespace is needed for pod-originated traffic: if
 * the client pod lived in the pod namespace, an endpoint's reply to it would stay on that
 * namespace's loopback and never pass the node's conntrack to be un-DNATed.
 *
 * Commands run with argument arrays (never a shell), always through `ip netns exec`/`ip -n`.
 * Nothing here touches the host's own network namespace except creating and deleting ours.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inNs, run } from './exec.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LISTENER = path.join(HERE, 'listener.mjs');

// ---------------------------------------------------------------------------------------------
// When the kernel tests may run

function hasTool(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** A command and the arguments that show it is installed and working. */
export type ToolCheck = readonly [cmd: string, args: string[]];

/** nftables mode's tool (nft 1.0.6 or later, `apt-get install nftables`). */
export const NFT_TOOL: ToolCheck = ['nft', ['--version']];

/** Why the real-kernel tests cannot run here, or null when they can; `extraTools` are what a suite needs beyond the iptables ones. */
export function kernelUnavailableReason(extraTools: readonly ToolCheck[] = []): string | null {
  if (process.platform !== 'linux') return `needs Linux network namespaces (platform is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root for ip netns and iptables-restore';
  const tools: ToolCheck[] = [
    ['ip', ['-V']],
    ['iptables-restore', ['--version']],
    ['iptables-save', ['--version']],
    ['ip6tables-restore', ['--version']],
    ['iptables-legacy-restore', ['--version']],
    ['conntrack', ['--version']],
    // sctp-init.pl sends SCTP INITs from raw sockets (perl-base, Essential in Debian).
    ['perl', ['-MSocket', '-e', '1']],
    ...extraTools,
  ];
  const missing = tools.filter(([cmd, args]) => !hasTool(cmd, args)).map(([cmd]) => cmd);
  if (missing.length > 0) return `needs ${missing.join(', ')} (apt-get install iptables conntrack iproute2${extraTools.some(([c]) => c === 'nft') ? ' nftables' : ''})`;
  return null;
}

export interface KernelGate {
  /** True only outside CI when the kernel tests cannot run. Under CI=true they never skip. */
  readonly skip: boolean;
  readonly reason: string | null;
  /** A suite title that says why it is skipped, when it is. */
  title(name: string): string;
  /** Throws under CI when the machine lacks root or tools, so CI fails loudly instead of skipping. */
  assertAvailable(): void;
}

export function kernelGate(extraTools: readonly ToolCheck[] = []): KernelGate {
  const reason = kernelUnavailableReason(extraTools);
  const skip = reason !== null && process.env.CI !== 'true';
  return {
    skip,
    reason,
    title: (name) => (skip ? `${name} (skipped outside CI: ${reason})` : name),
    assertAvailable() {
      if (reason !== null) throw new Error(`real-kernel tests cannot run: ${reason}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Cleanup that survives failures: afterAll calls destroy(); process exit and signals do the rest.

interface Destroyable {
  destroy(): void;
}
const liveResources = new Set<Destroyable>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const cleanupAll = () => {
    for (const t of [...liveResources]) t.destroy();
  };
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanupAll();
      process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    });
  }
}

let nameCounter = 0;

/** A unique namespace name base for this process: kc-<pid>-<tag><n>. */
function uniqueBase(tag: string): string {
  if (!/^[a-z0-9]{1,8}$/.test(tag)) throw new Error(`namespace tag must be 1-8 of [a-z0-9]: ${tag}`);
  return `kc-${process.pid}-${tag}${nameCounter++}`;
}

function deleteNamespace(ns: string): void {
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // not created, or already deleted
  }
}

/** One empty namespace with loopback up, for tests that only load and save rulesets. */
export class ScratchNamespace implements Destroyable {
  readonly name: string;
  private destroyed = false;

  private constructor(tag: string) {
    this.name = uniqueBase(tag);
  }

  static create(tag: string): ScratchNamespace {
    installExitHooks();
    const ns = new ScratchNamespace(tag);
    liveResources.add(ns);
    try {
      run('ip', ['netns', 'add', ns.name]);
      run('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up']);
    } catch (e) {
      ns.destroy();
      throw e;
    }
    return ns;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    liveResources.delete(this);
    deleteNamespace(this.name);
  }
}

export interface TopologyOptions {
  /** Short tag that names the test file's namespaces: kc-<pid>-<tag><n>-node, … */
  readonly tag: string;
  /** Node addresses on the client link; the first is the node IP. */
  readonly nodeIPs?: readonly string[];
  /** The external client's addresses; the first is its default source. */
  readonly clientAddresses?: readonly string[];
  /** The pod address that connections "from a pod" use (inside the cluster's pod CIDR). */
  readonly podClientAddress?: string;
  /** The node's address towards the pods (what masquerade rewrites to on that link). */
  readonly nodePodSideAddress?: string;
  /** Wire IPv6 too (a dual-stack node); the addresses below default to DEFAULT_*6. */
  readonly ipv6?: boolean;
  readonly clientAddresses6?: readonly string[];
  readonly podClientAddress6?: string;
  readonly nodePodSideAddress6?: string;
}

export const DEFAULT_NODE_IP = '172.16.1.10';
export const DEFAULT_CLIENT_ADDRESSES = ['172.16.1.152', '172.16.9.152'] as const;
export const DEFAULT_POD_CLIENT_ADDRESS = '10.64.255.2';
export const DEFAULT_NODE_POD_SIDE_ADDRESS = '10.255.0.1';
export const DEFAULT_NODE_IP6 = 'fd00:172:16:1::10';
export const DEFAULT_CLIENT_ADDRESSES6 = ['fd00:172:16:1::152', 'fd00:172:16:9::152'] as const;
export const DEFAULT_POD_CLIENT_ADDRESS6 = 'fd00:10:64:255::2';
export const DEFAULT_NODE_POD_SIDE_ADDRESS6 = 'fd00:10:255::1';

export const isIPv6 = (ip: string): boolean => ip.includes(':');
/** The one-address prefix of an address: ip/32 or ip/128. */
const host = (ip: string): string => `${ip}/${isIPv6(ip) ? 128 : 32}`;
/** `ip addr add` for one address; IPv6 without duplicate address detection (no tentative wait). */
const addrAdd = (ip: string, dev: string): string => `addr add ${host(ip)} dev ${dev}${isIPv6(ip) ? ' nodad' : ''}`;

/** Four namespaces wired as a node with an external client, a client pod and endpoint pods. */
export class Topology implements Destroyable {
  readonly nodeNs: string;
  readonly clientNs: string;
  readonly podNs: string;
  readonly podClientNs: string;
  readonly clientAddresses: readonly string[];
  readonly nodePodSideAddress: string;
  /** IPv6 counterparts; empty / null unless the topology was made with `ipv6: true`. */
  readonly ipv6: boolean;
  readonly clientAddresses6: readonly string[];
  readonly nodePodSideAddress6: string | null;
  private podClientIP6: string | null;
  private podClientIP: string;
  private nodeIPList: string[] = [];
  private readonly clientRoutes = new Set<string>();
  private readonly podAddresses = new Set<string>();
  private listener: ChildProcess | null = null;
  private nodeListener: ChildProcess | null = null;
  private listenerPorts: string[] = [];
  private destroyed = false;

  private constructor(opts: TopologyOptions) {
    const base = uniqueBase(opts.tag);
    this.nodeNs = `${base}-node`;
    this.clientNs = `${base}-client`;
    this.podNs = `${base}-pod`;
    this.podClientNs = `${base}-podc`;
    this.clientAddresses = [...(opts.clientAddresses ?? DEFAULT_CLIENT_ADDRESSES)];
    this.podClientIP = opts.podClientAddress ?? DEFAULT_POD_CLIENT_ADDRESS;
    this.nodePodSideAddress = opts.nodePodSideAddress ?? DEFAULT_NODE_POD_SIDE_ADDRESS;
    this.ipv6 = opts.ipv6 === true;
    this.clientAddresses6 = this.ipv6 ? [...(opts.clientAddresses6 ?? DEFAULT_CLIENT_ADDRESSES6)] : [];
    this.podClientIP6 = this.ipv6 ? (opts.podClientAddress6 ?? DEFAULT_POD_CLIENT_ADDRESS6) : null;
    this.nodePodSideAddress6 = this.ipv6 ? (opts.nodePodSideAddress6 ?? DEFAULT_NODE_POD_SIDE_ADDRESS6) : null;
  }

  static create(opts: TopologyOptions): Topology {
    installExitHooks();
    const t = new Topology(opts);
    liveResources.add(t);
    try {
      t.build(opts.nodeIPs ?? (t.ipv6 ? [DEFAULT_NODE_IP, DEFAULT_NODE_IP6] : [DEFAULT_NODE_IP]));
    } catch (e) {
      t.destroy();
      throw e;
    }
    return t;
  }

  get namespaces(): string[] {
    return [this.nodeNs, this.clientNs, this.podNs, this.podClientNs];
  }

  /** The node IPs currently on the client link (the first is the primary). */
  get nodeIPs(): readonly string[] {
    return this.nodeIPList;
  }

  private build(nodeIPs: readonly string[]): void {
    for (const ns of this.namespaces) {
      run('ip', ['netns', 'add', ns]);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const sysctl = (ns: string, key: string, value: string) => inNs(ns, 'sysctl', ['-qw', `${key}=${value}`]);
    sysctl(this.nodeNs, 'net.ipv4.ip_forward', '1');
    // kube-proxy sets this for its localhost node ports (127.0.0.1:NODEPORT DNATed off the node).
    sysctl(this.nodeNs, 'net.ipv4.conf.all.route_localnet', '1');
    // REJECT answers with ICMP: no per-host rate limit (it would turn the 7th REJECT in a second
    // into a timeout), a generous global one.
    sysctl(this.nodeNs, 'net.ipv4.icmp_ratelimit', '0');
    sysctl(this.nodeNs, 'net.ipv4.icmp_msgs_per_sec', '100000');
    sysctl(this.nodeNs, 'net.ipv4.icmp_msgs_burst', '10000');
    // The endpoints' namespace answers SCTP INITs with ICMP protocol unreachable (no SCTP stack
    // here, see sctp-init.pl): no per-host limit there either.
    sysctl(this.podNs, 'net.ipv4.icmp_ratelimit', '0');
    // ...nor the global limit, which ICMPv6 shares: a dual-stack run sends hundreds of INITs at once.
    sysctl(this.podNs, 'net.ipv4.icmp_msgs_per_sec', '100000');
    sysctl(this.podNs, 'net.ipv4.icmp_msgs_burst', '10000');
    // Unmatched traffic is routed back out the client link; a redirect there would use up the
    // ICMP budget that the REJECT after it needs.
    sysctl(this.nodeNs, 'net.ipv4.conf.all.send_redirects', '0');
    sysctl(this.nodeNs, 'net.ipv4.conf.default.send_redirects', '0');
    // /32 links with asymmetric-looking routes: strict reverse-path filtering must not interfere.
    for (const ns of this.namespaces) {
      sysctl(ns, 'net.ipv4.conf.all.rp_filter', '0');
      sysctl(ns, 'net.ipv4.conf.default.rp_filter', '0');
    }
    if (this.ipv6) {
      // Before the veths exist, so they inherit it: no duplicate address detection (an address
      // would stay tentative, unusable, for a second or more after it is added).
      for (const ns of this.namespaces) {
        sysctl(ns, 'net.ipv6.conf.all.disable_ipv6', '0');
        sysctl(ns, 'net.ipv6.conf.default.disable_ipv6', '0');
        sysctl(ns, 'net.ipv6.conf.all.accept_dad', '0');
        sysctl(ns, 'net.ipv6.conf.default.accept_dad', '0');
      }
      sysctl(this.nodeNs, 'net.ipv6.conf.all.forwarding', '1');
      // REJECT answers with ICMPv6: no rate limit either.
      sysctl(this.nodeNs, 'net.ipv6.icmp.ratelimit', '0');
      sysctl(this.podNs, 'net.ipv6.icmp.ratelimit', '0');
    }
    // veth pairs are created inside the node namespace with their peer moved at once, so no
    // interface ever appears in the host's namespace and the fixed names cannot collide.
    const links: Array<[string, string]> = [
      ['to-client', this.clientNs],
      ['to-pod', this.podNs],
      ['to-podc', this.podClientNs],
    ];
    for (const [nodeSide, peerNs] of links) {
      run('ip', ['-n', this.nodeNs, 'link', 'add', nodeSide, 'type', 'veth', 'peer', 'name', 'to-node', 'netns', peerNs]);
      run('ip', ['-n', this.nodeNs, 'link', 'set', nodeSide, 'up']);
      run('ip', ['-n', peerNs, 'link', 'set', 'to-node', 'up']);
    }

    // Node towards the pods: its own address there, and a route to the client pod.
    this.ipBatch(this.nodeNs, [
      `addr add ${this.nodePodSideAddress}/32 dev to-pod`,
      `route add ${this.podClientAddress}/32 dev to-podc`,
    ]);
    // Pods reach everything through the node.
    for (const ns of [this.podNs, this.podClientNs]) {
      this.ipBatch(ns, [
        `route add ${this.nodePodSideAddress}/32 dev to-node`,
        `route add default via ${this.nodePodSideAddress} dev to-node onlink`,
      ]);
    }
    this.ipBatch(this.podClientNs, [`addr add ${this.podClientAddress}/32 dev to-node`]);
    // The client: its addresses, and nothing routed but what routeFromClient adds.
    this.ipBatch(
      this.clientNs,
      this.clientAddresses.map((a) => `addr add ${a}/32 dev to-node`),
    );
    this.ipBatch(
      this.nodeNs,
      this.clientAddresses.map((a) => `route add ${a}/32 dev to-client`),
    );
    if (this.ipv6) {
      // The same wiring in IPv6.
      const side = this.nodePodSideAddress6!;
      // On both pod-side links: unlike ARP, neighbour discovery answers only for an address of the
      // interface asked on, so the client pod's gateway must live on to-podc as well.
      this.ipBatch(this.nodeNs, [addrAdd(side, 'to-pod'), addrAdd(side, 'to-podc'), `route add ${host(this.podClientIP6!)} dev to-podc`]);
      for (const ns of [this.podNs, this.podClientNs]) {
        this.ipBatch(ns, [`route add ${host(side)} dev to-node`, `route add default via ${side} dev to-node onlink`]);
      }
      this.ipBatch(this.podClientNs, [addrAdd(this.podClientIP6!, 'to-node')]);
      this.ipBatch(
        this.clientNs,
        this.clientAddresses6.map((a) => addrAdd(a, 'to-node')),
      );
      this.ipBatch(
        this.nodeNs,
        this.clientAddresses6.map((a) => `route add ${host(a)} dev to-client`),
      );
    }
    this.setNodeIPs(nodeIPs);
  }

  private ipBatch(ns: string, commands: readonly string[]): void {
    if (commands.length === 0) return;
    run('ip', ['-n', ns, '-batch', '-'], commands.join('\n') + '\n');
  }

  /**
   * Put these addresses on the node's client link (replacing the previous node IPs), route them
   * from the client, and make the first one the node's default source towards the client. The
   * node's default route points at the client namespace, as a real node's gateway would.
   */
  setNodeIPs(ips: readonly string[]): void {
    const v4 = ips.filter((ip) => !isIPv6(ip));
    const v6 = ips.filter(isIPv6);
    if (v4.length === 0) throw new Error('a node needs at least one IPv4 address');
    if (v6.length > 0 && !this.ipv6) throw new Error(`the topology is IPv4 only: node IP ${v6[0]}`);
    const cmds: string[] = [];
    for (const old of this.nodeIPList) cmds.push(`addr del ${host(old)} dev to-client`);
    this.ipBatch(this.nodeNs, cmds);
    this.ipBatch(this.nodeNs, [
      ...ips.map((ip) => addrAdd(ip, 'to-client')),
      `route replace default via ${this.clientAddresses[0]} dev to-client onlink src ${v4[0]}`,
      ...(v6.length > 0 ? [`route replace default via ${this.clientAddresses6[0]} dev to-client onlink src ${v6[0]}`] : []),
    ]);
    const clientCmds: string[] = [];
    for (const old of this.nodeIPList) if (!ips.includes(old)) clientCmds.push(`route del ${host(old)}`);
    // The client's link route to the node's primary address carries everything routeFromClient adds.
    clientCmds.push(
      ...ips.map((ip) => `route replace ${host(ip)} dev to-node src ${isIPv6(ip) ? this.clientAddresses6[0] : this.clientAddresses[0]}`),
    );
    this.ipBatch(this.clientNs, clientCmds);
    this.nodeIPList = [...ips];
    const routes = [...this.clientRoutes];
    this.clientRoutes.clear();
    this.routeFromClient(routes);
  }

  /** Route these CIDRs (service CIDR, external and LoadBalancer IPs) from the client via the node. */
  routeFromClient(cidrs: readonly string[]): void {
    const fresh = cidrs.filter((c) => !this.clientRoutes.has(c) && !this.nodeIPList.includes(c.replace(/\/(32|128)$/, '')));
    const via = (c: string) => {
      const ip = this.nodeIPList.find((n) => isIPv6(n) === isIPv6(c));
      if (!ip) throw new Error(`no node IP of ${c}'s family to route it through`);
      return ip;
    };
    this.ipBatch(
      this.clientNs,
      fresh.map((c) => `route replace ${c} via ${via(c)} dev to-node onlink`),
    );
    for (const c of fresh) this.clientRoutes.add(c);
  }

  /** Host these endpoint IPs in the pod namespace and route them from the node. */
  addPodAddresses(ips: readonly string[]): void {
    const fresh = [...new Set(ips)].filter((ip) => !this.podAddresses.has(ip));
    const taken = new Set([
      this.podClientIP,
      this.nodePodSideAddress,
      ...this.nodeIPList,
      ...this.clientAddresses,
      ...(this.podClientIP6 ? [this.podClientIP6] : []),
      ...(this.nodePodSideAddress6 ? [this.nodePodSideAddress6] : []),
      ...this.clientAddresses6,
    ]);
    const v6 = fresh.find(isIPv6);
    if (v6 && !this.ipv6) throw new Error(`the topology is IPv4 only: endpoint ${v6}`);
    const clash = fresh.find((ip) => taken.has(ip));
    // An endpoint on a node or client address would be answered by the wrong namespace.
    if (clash) throw new Error(`endpoint ${clash} is already a node, client or client-pod address in this topology`);
    this.ipBatch(
      this.podNs,
      fresh.map((ip) => addrAdd(ip, 'to-node')),
    );
    this.ipBatch(
      this.nodeNs,
      fresh.map((ip) => `route add ${host(ip)} dev to-pod`),
    );
    for (const ip of fresh) this.podAddresses.add(ip);
  }

  /**
   * Listen in the pod namespace: TCP on these ports (0.0.0.0), and with `extra` TCP on IPv6 (::)
   * and UDP on single addresses (ip:port, see listener.mjs); resolves once everything listens.
   * A new call replaces the previous listener unless it already listens on all of it.
   */
  async startListeners(
    ports: readonly number[],
    extra: { readonly tcp6Ports?: readonly number[]; readonly udp?: ReadonlyArray<{ ip: string; port: number }> } = {},
  ): Promise<void> {
    const wanted = [
      ...[...new Set(ports)].sort((a, b) => a - b).map(String),
      ...[...new Set(extra.tcp6Ports ?? [])].sort((a, b) => a - b).map((p) => `tcp6:${p}`),
      ...[...new Set((extra.udp ?? []).map((e) => `udp:${isIPv6(e.ip) ? `[${e.ip}]` : e.ip}:${e.port}`))].sort(),
    ];
    if (this.listener && wanted.every((p) => this.listenerPorts.includes(p))) return;
    this.stopListeners();
    this.listener = await spawnListener(this.podNs, wanted);
    this.listenerPorts = wanted;
  }

  /**
   * Listen in the node namespace itself on these listener.mjs specs (e.g. `tcp:127.0.0.1:30021`:
   * a node port that nothing DNATs reaches the node's own stack). Replaces the previous node listener.
   */
  async startNodeListeners(specs: readonly string[]): Promise<void> {
    stopListener(this.nodeListener);
    this.nodeListener = null;
    if (specs.length > 0) this.nodeListener = await spawnListener(this.nodeNs, specs);
  }

  private stopListeners(): void {
    stopListener(this.listener);
    this.listener = null;
    this.listenerPorts = [];
  }

  /** The client pod's address (what connections "from a pod" use). */
  get podClientAddress(): string {
    return this.podClientIP;
  }

  /** The client pod's IPv6 address (null unless the topology is dual-stack). */
  get podClientAddress6(): string | null {
    return this.podClientIP6;
  }

  /** Move the client pod to another address, e.g. into the pod CIDR of the node a fixture is for. */
  setPodClientAddress(ip: string): void {
    if (isIPv6(ip)) return this.setPodClientAddress6(ip);
    if (ip === this.podClientIP) return;
    if (this.podAddresses.has(ip)) throw new Error(`${ip} is an endpoint address in the pod namespace`);
    this.ipBatch(this.podClientNs, [`addr del ${this.podClientIP}/32 dev to-node`, `addr add ${ip}/32 dev to-node`]);
    // The default route lost its source with the old address; it picks the new one again.
    this.ipBatch(this.podClientNs, [`route replace default via ${this.nodePodSideAddress} dev to-node onlink src ${ip}`]);
    this.ipBatch(this.nodeNs, [`route del ${this.podClientIP}/32 dev to-podc`, `route add ${ip}/32 dev to-podc`]);
    this.podClientIP = ip;
  }

  private setPodClientAddress6(ip: string): void {
    const old = this.podClientIP6;
    if (old === null) throw new Error(`the topology is IPv4 only: client pod ${ip}`);
    if (ip === old) return;
    if (this.podAddresses.has(ip)) throw new Error(`${ip} is an endpoint address in the pod namespace`);
    this.ipBatch(this.podClientNs, [`addr del ${host(old)} dev to-node`, addrAdd(ip, 'to-node')]);
    this.ipBatch(this.podClientNs, [`route replace default via ${this.nodePodSideAddress6} dev to-node onlink src ${ip}`]);
    this.ipBatch(this.nodeNs, [`route del ${host(old)} dev to-podc`, `route add ${host(ip)} dev to-podc`]);
    this.podClientIP6 = ip;
  }

  /**
   * Keep unanswered SCTP conntrack entries while a run lasts. An INIT's entry waits in
   * COOKIE_WAIT (3 s by default), and once the endpoint's ICMP comes back (no SCTP stack there)
   * in CLOSED (10 s): a run that reads conntrack later than that (dual-stack, a busy machine)
   * would find nothing. Call once rules are loaded (the sysctls exist once conntrack is in the kernel).
   */
  keepSctpEntries(seconds = 600): void {
    for (const state of ['cookie_wait', 'cookie_echoed', 'closed']) {
      inNs(this.nodeNs, 'sysctl', ['-qw', `net.netfilter.nf_conntrack_sctp_timeout_${state}=${seconds}`]);
    }
  }

  /** Every address of the node namespace (IPv6 ones too when dual-stack): what addrtype LOCAL matches there. */
  nodeLocalAddresses(): string[] {
    return [...namespaceAddresses(this.nodeNs), ...(this.ipv6 ? namespaceAddresses6(this.nodeNs) : [])];
  }

  /** Delete the namespaces (idempotent, never throws). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    liveResources.delete(this);
    this.stopListeners();
    stopListener(this.nodeListener);
    this.nodeListener = null;
    for (const ns of this.namespaces) deleteNamespace(ns);
  }
}

/** Run listener.mjs in a namespace; resolves once everything it was given listens. */
async function spawnListener(ns: string, specs: readonly string[]): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, LISTENER, ...specs], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      let errText = '';
      const timer = setTimeout(() => reject(new Error(`listeners not ready after 15 s: ${errText}`)), 15_000);
      child.stdout!.setEncoding('utf8');
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => (errText += d));
      child.stdout!.on('data', (d: string) => {
        out += d;
        if (out.includes('ready\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`listener exited (${code}): ${errText}`));
      });
    });
  } catch (e) {
    stopListener(child);
    throw e;
  }
  return child;
}

function stopListener(child: ChildProcess | null): void {
  if (!child) return;
  child.removeAllListeners('exit');
  child.stdin?.destroy();
  if (child.pid !== undefined && child.exitCode === null) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** IPv4 addresses configured in a namespace (loopback included). */
export function namespaceAddresses(ns: string): string[] {
  const out = run('ip', ['-n', ns, '-4', '-o', 'addr', 'show']);
  return [...out.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
}

/** IPv6 addresses configured in a namespace (::1 included, link-local fe80:: ones not). */
export function namespaceAddresses6(ns: string): string[] {
  const out = run('ip', ['-n', ns, '-6', '-o', 'addr', 'show']);
  return [...out.matchAll(/\binet6 ([0-9a-f:]+)\//g)].map((m) => m[1]!).filter((a) => !a.startsWith('fe80:'));
}


// ---------------------------------------------------------------------------------------------
// Rulesets

export interface RulesetTool {
  /** Default ipv4 (iptables-*); ipv6 uses ip6tables-*. */
  readonly family?: 'ipv4' | 'ipv6';
  /** Default nft (the distribution's iptables); legacy uses iptables-legacy-*. */
  readonly backend?: 'nft' | 'legacy';
}

function toolName(kind: 'restore' | 'save', tool: RulesetTool): string {
  return `${tool.family === 'ipv6' ? 'ip6tables' : 'iptables'}${tool.backend === 'legacy' ? '-legacy' : ''}-${kind}`;
}

/** Load a ruleset with iptables-restore (flushing the tables it names); `counters` keeps [p:b]. */
export function loadRuleset(ns: string, text: string, opts: RulesetTool & { counters?: boolean } = {}): void {
  inNs(ns, toolName('restore', opts), opts.counters ? ['-c'] : [], text);
}

/** Empty every table, so the next ruleset starts from a clean node. */
export function resetRuleset(ns: string, tool: RulesetTool = {}): void {
  const empty = [
    '*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT',
    '*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT',
    '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT',
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT',
  ];
  loadRuleset(ns, empty.join('\n') + '\n', tool);
}

/** `iptables-save -c` of the namespace. */
export function saveRuleset(ns: string, tool: RulesetTool = {}): string {
  return inNs(ns, toolName('save', tool), ['-c']);
}

export * from './conntrack.js';
export * from './connect.js';
export { routeSource } from './exec.js';
