/**
 * One probe packet per way into a service port (cluster IP, node port, external IP, load-balancer
 * IP): what `which` traces and what the explorer's service tree traces, so both ask the kernel the
 * same question. Where nothing is said, documentation addresses stand in for the client and the
 * node; a localhost node port is probed from the node, a load balancer with source ranges from
 * inside them.
 */
import type { EntryKind, EntryPoint, Protocol, ServicePort } from './kube/types.js';
import type { Family } from './parse/types.js';
import { familyOfIp, inCidr, parseCidr, parseIp, type Cidr } from './trace/addr.js';
import type { NodeContext, Packet } from './trace/types.js';

/** Documentation addresses (RFC 5737 / RFC 3849): an outside client and a stand-in node. */
export const DEFAULT_CLIENT: Readonly<Record<Family, string>> = { ipv4: '203.0.113.10', ipv6: '2001:db8:ffff::10' };

/**
 * The source of a packet to `dst` when none is given, for `trace`, `which` and the explorer alike:
 * a loopback destination (a localhost node port) is reached only from the node itself, so from
 * `dst`; anything else from a client off the node.
 */
export function defaultSource(dst: string, family: Family): string {
  return isLoopbackText(dst) ? dst : DEFAULT_CLIENT[family];
}
export const DEFAULT_NODE: Readonly<Record<Family, string>> = { ipv4: '192.0.2.1', ipv6: '2001:db8:ffff::1' };

export interface ProbeOptions {
  /** The node's own addresses (--node-ip, or the local node's); may be empty. */
  readonly nodeAddresses: readonly string[];
  /** The client (--src); an outside documentation address when null. */
  readonly client: string | null;
}

export interface PlannedProbe {
  readonly kind: EntryKind;
  /** Where the packet goes: the cluster/external/LB IP, or the node's address for a node port. */
  readonly address: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** The entry rule that takes this address and port, null when the service's fields name it but no rule does. */
  readonly entry: EntryPoint | null;
  readonly packet: Packet;
  readonly node: NodeContext;
}

export interface ProbePlan {
  readonly probes: PlannedProbe[];
  /** Things the reader must know: a made-up node address, a client moved into the source ranges. */
  readonly notes: string[];
}

/** The node a probe of `family` reaches: its first own address of the family, else a stand-in added to the local ones. */
export function probeNode(nodeAddresses: readonly string[], family: Family): { readonly address: string; readonly assumed: boolean; readonly node: NodeContext } {
  const own = nodeAddresses.find((a) => familyOfIp(a) === family && !isLoopbackText(a)) ?? null;
  if (own !== null) return { address: own, assumed: false, node: { localAddresses: [...nodeAddresses] } };
  const address = DEFAULT_NODE[family];
  return { address, assumed: true, node: { localAddresses: [...nodeAddresses, address] } };
}

export function planEntryProbes(service: ServicePort, options: ProbeOptions): ProbePlan {
  const family = service.family;
  const notes: string[] = [];
  const { address: nodeAddress, assumed, node } = probeNode(options.nodeAddresses, family);

  let client = options.client !== null && familyOfIp(options.client) === family ? options.client : DEFAULT_CLIENT[family];
  if (options.client !== null && client !== options.client) {
    notes.push(`--src ${options.client} is not ${family === 'ipv6' ? 'IPv6' : 'IPv4'}; ${service.id} is traced from ${client}`);
  }

  const entryAddress = (e: EntryPoint) => (e.address === null ? nodeAddress : addressIn(e.address));
  const targets: { kind: EntryKind; address: string; port: number }[] = [];
  const add = (kind: EntryKind, address: string | null, port: number | null) => {
    if (address === null || port === null) return;
    if (targets.some((t) => t.kind === kind && t.address === address && t.port === port)) return;
    targets.push({ kind, address, port });
  };
  add('clusterIP', service.clusterIP, service.port);
  if (service.nodePort !== null) {
    add('nodePort', nodeAddress, service.nodePort);
    if (assumed) notes.push(`no node address given (--node-ip): node port ${service.nodePort} is traced to ${nodeAddress}, taken as this node's address`);
  }
  for (const ip of service.externalIPs) add('externalIP', ip, service.port);
  for (const ip of service.loadBalancerIPs) add('loadBalancer', ip, service.port);
  // Entry points the model saw that the fields above do not cover (a node port on one address only).
  for (const e of service.entryPoints) add(e.kind, entryAddress(e), e.port);

  const probes: PlannedProbe[] = [];
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
    const entry = service.entryPoints.find((e) => e.kind === t.kind && e.port === t.port && entryAddress(e) === t.address) ?? null;
    const packet: Packet = { protocol: service.protocol, src, dst: t.address, dport: t.port };
    probes.push({ ...t, protocol: service.protocol, entry, packet, node });
  }
  return { probes, notes };
}

/** An address inside a `-d` value: itself, or a host of the CIDR (127.0.0.0/8 -> 127.0.0.1). */
function addressIn(value: string): string {
  if (!value.includes('/')) return value;
  const c = parseCidr(value);
  return c ? hostInCidr(c) : value;
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
