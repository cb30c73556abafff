/**
 * `which`: for a service port, one probe packet per entry point (cluster IP, node port, external
 * IP, load-balancer IP), each traced by the same tracer `trace` uses, so the two never disagree.
 * Pure: the tracer is passed in.
 */
import type { EntryKind, Protocol, ServicePort } from './kube/types.js';
import { BUILTIN_CHAINS, type Family, type Ruleset } from './parse/types.js';
import { liveTables } from './parse/live-tables.js';
import { familyOfIp, hostPort, inCidr, parseCidr, parseIp, type Cidr } from './trace/addr.js';
import type { NodeContext, Packet, PathStep, TraceResult } from './trace/types.js';

/** Documentation addresses (RFC 5737 / RFC 3849): an outside client and a stand-in node. */
export const DEFAULT_CLIENT: Readonly<Record<Family, string>> = { ipv4: '203.0.113.10', ipv6: '2001:db8:ffff::10' };
export const DEFAULT_NODE: Readonly<Record<Family, string>> = { ipv4: '192.0.2.1', ipv6: '2001:db8:ffff::1' };

export type Tracer = (ruleset: Ruleset, packet: Packet, node: NodeContext) => TraceResult;

export interface WhichOptions {
  /** The node's own addresses (--node-ip, or the local node's); may be empty. */
  readonly nodeAddresses: readonly string[];
  /** The client (--src); an outside documentation address when null. */
  readonly client: string | null;
}

export interface EntryProbe {
  readonly kind: EntryKind;
  /** Where the packet goes: the cluster/external/LB IP, or the node's address for a node port. */
  readonly address: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly packet: Packet;
  readonly node: NodeContext;
  readonly result: TraceResult;
}

export interface ServiceWhich {
  readonly service: ServicePort;
  readonly probes: EntryProbe[];
  /** Things the reader must know: a made-up node address, a client moved into the source ranges. */
  readonly notes: string[];
}

export function whichService(ruleset: Ruleset, service: ServicePort, options: WhichOptions, trace: Tracer): ServiceWhich {
  const family = service.family;
  const notes: string[] = [];
  const ownNode = options.nodeAddresses.find((a) => familyOfIp(a) === family && !isLoopbackText(a)) ?? null;
  const nodeAddress = ownNode ?? DEFAULT_NODE[family];
  const localAddresses = ownNode ? [...options.nodeAddresses] : [...options.nodeAddresses, nodeAddress];
  const node: NodeContext = { localAddresses };

  let client = options.client !== null && familyOfIp(options.client) === family ? options.client : DEFAULT_CLIENT[family];
  if (options.client !== null && client !== options.client) {
    notes.push(`--src ${options.client} is not ${family === 'ipv6' ? 'IPv6' : 'IPv4'}; ${service.id} is traced from ${client}`);
  }

  const targets: { kind: EntryKind; address: string; port: number }[] = [];
  const add = (kind: EntryKind, address: string | null, port: number | null) => {
    if (address === null || port === null) return;
    if (targets.some((t) => t.kind === kind && t.address === address && t.port === port)) return;
    targets.push({ kind, address, port });
  };
  add('clusterIP', service.clusterIP, service.port);
  if (service.nodePort !== null) {
    add('nodePort', nodeAddress, service.nodePort);
    if (!ownNode) notes.push(`no node address given (--node-ip): node port ${service.nodePort} is traced to ${nodeAddress}, taken as this node's address`);
  }
  for (const ip of service.externalIPs) add('externalIP', ip, service.port);
  for (const ip of service.loadBalancerIPs) add('loadBalancer', ip, service.port);
  // Entry points the model saw that the fields above do not cover (a node port on one address only).
  for (const e of service.entryPoints) add(e.kind, e.address === null ? nodeAddress : addressIn(e.address), e.port);

  const probes: EntryProbe[] = [];
  for (const t of targets) {
    let src = client;
    if (isLoopbackText(t.address)) {
      // Localhost node ports (`-d 127.0.0.0/8`) only take connections made on the node itself.
      src = t.address;
      notes.push(`${t.address}:${t.port} is a localhost node port: traced from ${src} on the node`);
    } else if (t.kind === 'loadBalancer' && service.loadBalancerSourceRanges.length > 0) {
      const allowed = addressInRanges(service.loadBalancerSourceRanges, family, client);
      if (allowed !== client && allowed !== null) {
        notes.push(`load-balancer source ranges (${service.loadBalancerSourceRanges.join(', ')}) do not include ${client}; ${t.address} is traced from ${allowed}`);
        src = allowed;
      }
    }
    const packet: Packet = { protocol: service.protocol, src, dst: t.address, dport: t.port };
    probes.push({ ...t, protocol: service.protocol, packet, node, result: trace(ruleset, packet, node) });
  }
  return { service, probes, notes };
}

/** An address inside a `-d` value: itself, or a host of the CIDR (127.0.0.0/8 -> 127.0.0.1). */
function addressIn(value: string): string {
  if (!value.includes('/')) return value;
  const c = parseCidr(value);
  return c ? hostInCidr(c) : value;
}

/**
 * kube-proxy adds the built-in chains' jumps (nat PREROUTING/OUTPUT -> KUBE-SERVICES) with
 * `iptables -I`, so restore-form dumps (its test dumps) lack them and no service rule is reached.
 */
export function missingServiceJumps(ruleset: Ruleset): string[] {
  const notes: string[] = [];
  for (const table of liveTables(ruleset)) {
    if (table.name !== 'nat' || !table.chainsByName.has('KUBE-SERVICES')) continue;
    for (const hook of ['PREROUTING', 'OUTPUT']) {
      const jumps = table.chainsByName.get(hook)?.rules.some((r) => r.target === 'KUBE-SERVICES') ?? false;
      if (!jumps) {
        const fam = table.family === 'ipv6' ? 'IPv6 ' : '';
        notes.push(`${fam}nat ${hook} has no jump to KUBE-SERVICES in this dump (a restore-form dump?): packets ${hook === 'PREROUTING' ? 'from the network' : 'from the node'} reach no service rule`);
      }
    }
  }
  return notes;
}

/** `client` when it is inside one of the ranges, else the first usable address of the first range that parses. */
export function addressInRanges(ranges: readonly string[], family: Family, client: string): string | null {
  const clientBytes = parseIp(client);
  const cidrs = ranges.map(parseCidr).filter((c): c is Cidr => c !== null && (c.bytes.length === 4) === (family === 'ipv4'));
  if (clientBytes && cidrs.some((c) => inCidr(clientBytes, c))) return client;
  const first = cidrs[0];
  return first ? hostInCidr(first) : null;
}

/** The network address + 1 (or the address itself for a single host). */
function hostInCidr(c: Cidr): string {
  const bytes = Uint8Array.from(c.bytes);
  const bits = bytes.length * 8;
  // Clear host bits, then add one when there is room for a host part.
  for (let i = c.prefix; i < bits; i++) bytes[i >> 3] &= ~(0x80 >> (i & 7));
  if (c.prefix < bits) bytes[bytes.length - 1] |= 1;
  return formatIp(bytes);
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // Compress the longest run of zero groups, as RFC 5952 prints it.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return groups.slice(0, best).join(':') + '::' + groups.slice(best + bestLen).join(':');
}

function isLoopbackText(a: string): boolean {
  return a.startsWith('127.') || a === '::1';
}

/** "10.32.0.61:80/tcp", "[fd00::1]:80/tcp". */
export function entryLabel(address: string, port: number, protocol: Protocol): string {
  return `${hostPort(address, port)}/${protocol}`;
}

/** One netfilter hook's part of a path: the steps from one built-in chain until the next hook. */
export interface HookSegment {
  readonly table: PathStep['table'];
  readonly hook: string;
  readonly steps: PathStep[];
}

/** Splits a trace path by hook (nat PREROUTING, filter FORWARD, …), in the order the packet met them. */
export function pathByHook(path: readonly PathStep[]): HookSegment[] {
  const segments: HookSegment[] = [];
  let current: HookSegment | null = null;
  for (const step of path) {
    const isHook = BUILTIN_CHAINS[step.table].includes(step.chain);
    if (current === null || (isHook && (step.table !== current.table || step.chain !== current.hook))) {
      current = { table: step.table, hook: step.chain, steps: [] };
      segments.push(current);
    }
    current.steps.push(step);
  }
  return segments;
}

/**
 * The calls still open when the hook ended: detours that returned (KUBE-MARK-MASQ, a firewall
 * chain that found nothing) drop out, leaving PREROUTING > KUBE-SERVICES > … > KUBE-SEP-….
 */
export function mainLine(steps: readonly PathStep[]): PathStep[] {
  const stack: PathStep[] = [];
  for (const step of steps) {
    const open = stack.findIndex((s) => s.table === step.table && s.chain === step.chain);
    if (open >= 0) stack.length = open;
    stack.push(step);
  }
  return stack;
}

/** "nat PREROUTING #1 > KUBE-SERVICES #6 > … > KUBE-SEP-YVT6EXXEKT4LDXBC #2", "filter INPUT policy ACCEPT". */
export function formatMainLine(segment: HookSegment): string {
  const parts = mainLine(segment.steps).map((s) => (s.rule === null ? `${s.chain} ${s.target}` : `${s.chain} #${s.rule}`));
  return `${segment.table} ${parts.join(' > ')}`;
}
