/**
 * tracePacket: the hooks in kernel order for one packet, every outcome with its probability.
 *
 * Arriving from the network: raw, mangle, nat PREROUTING; routing on the (DNATed) destination;
 * local -> mangle, filter, security, nat INPUT; else mangle, filter, security FORWARD, then
 * mangle, nat POSTROUTING.
 * Generated on the node (source is a node address): raw, mangle, nat, filter, security OUTPUT,
 * mangle, nat POSTROUTING; to a local destination it then comes back over loopback through
 * raw, mangle PREROUTING and mangle, filter, security INPUT. nat PREROUTING/INPUT are not
 * consulted on that way back: conntrack already holds both NAT bindings from OUTPUT and
 * POSTROUTING (seen with a real kernel: nat PREROUTING/INPUT rules count nothing for a
 * connection to 127.0.0.1 or to a DNATed node address, while raw/mangle/filter ones do).
 */
import { PROTOCOLS, type Family, type Ruleset, type TableName } from '../parse/types.js';
import { LocalAddresses, parseIp } from './addr.js';
import { hookStages, type Stage } from './hooks.js';
import { assume, type Branch } from './branch.js';
import type { HookEnv, MatchCtx } from './compile.js';
import { natReason } from './reasons.js';
import { indexRuleset } from './ruleset-index.js';
import type { NodeContext, Outcome, Packet, TraceOptions, TraceResult } from './types.js';
import { runHook, type WalkCtx } from './walk.js';
import { deliver, outcomeOf, type Final as Finals } from './finals.js';

/** Source port used when the packet does not give one (start of Linux's ephemeral range is 32768). */
export const DEFAULT_SOURCE_PORT = 40000;
/** Interface a packet from the network is assumed to arrive on, and forwarded packets to leave by. */
export const DEFAULT_INTERFACE = 'eth0';
/** TraceOptions.maxSteps when not given. */
export const DEFAULT_MAX_STEPS = 1_000_000;

const PREROUTING: readonly Stage[] = hookStages('PREROUTING');
const LOCAL_IN: readonly Stage[] = hookStages('INPUT');
const FORWARD: readonly Stage[] = [...hookStages('FORWARD'), ...hookStages('POSTROUTING')];
const OUTPUT: readonly Stage[] = [...hookStages('OUTPUT'), ...hookStages('POSTROUTING')];
// Back over loopback: nat is not consulted again (see above).
const LOOPBACK_IN: readonly Stage[] = [...hookStages('PREROUTING', ['nat']), ...hookStages('INPUT', ['nat'])];

const TRACE_PROTOCOLS = new Set<string>([...PROTOCOLS, 'icmp']);
const CTSTATES = new Set(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID']);

/** Why a packet cannot be traced, or null when it can. */
export function checkPacket(packet: Packet): string | null {
  if (!TRACE_PROTOCOLS.has(packet.protocol)) return `unknown protocol "${packet.protocol}" (tcp, udp, sctp or icmp)`;
  const src = parseIp(packet.src);
  if (!src) return `source "${packet.src}" is not an IP address`;
  const dst = parseIp(packet.dst);
  if (!dst) return `destination "${packet.dst}" is not an IP address`;
  if (src.length !== dst.length) return `source ${packet.src} and destination ${packet.dst} are of different families`;
  const ports: Array<[string, number | undefined]> = [['destination port', packet.dport], ['source port', packet.sport]];
  for (const [what, p] of ports) {
    if (p !== undefined && !(Number.isInteger(p) && p >= 0 && p <= 65535)) return `${what} ${p} is not a port (0-65535)`;
  }
  if (packet.ctstate !== undefined && !CTSTATES.has(packet.ctstate)) return `unknown conntrack state "${packet.ctstate}"`;
  return null;
}

/** A packet as both tracers take it: defaults filled in, its family and origin, its addresses as bytes. */
export interface PreparedPacket {
  readonly echo: TraceResult['packet'];
  readonly family: Family;
  readonly local: LocalAddresses;
  readonly srcBytes: Uint8Array;
  readonly dstBytes: Uint8Array;
  readonly origin: 'network' | 'local';
  readonly sport: number;
  readonly ctstate: NonNullable<Packet['ctstate']>;
}

/** The packet ready to trace, or the TraceResult that says why it cannot be. */
export function preparePacket(packet: Packet, node: NodeContext): PreparedPacket | TraceResult {
  const problem = checkPacket(packet);
  const srcBytes = parseIp(packet.src);
  const dstBytes = parseIp(packet.dst);
  const family: Family = (dstBytes ?? srcBytes)?.length === 16 ? 'ipv6' : 'ipv4';
  const local = new LocalAddresses(node.localAddresses);
  const origin = srcBytes && local.has(srcBytes) ? 'local' : 'network';
  const sport = packet.sport ?? DEFAULT_SOURCE_PORT;
  const ctstate = packet.ctstate ?? 'NEW';
  const echo: TraceResult['packet'] = {
    ...packet,
    sport,
    ctstate,
    ...(origin === 'network' ? { inInterface: packet.inInterface ?? DEFAULT_INTERFACE } : {}),
    family,
    origin,
  };
  if (problem !== null || !srcBytes || !dstBytes) return { packet: echo, outcomes: [], error: problem ?? 'bad packet' };
  return { echo, family, local, srcBytes, dstBytes, origin, sport, ctstate };
}

export function tracePacket(ruleset: Ruleset, packet: Packet, node: NodeContext, options: TraceOptions = {}): TraceResult {
  const prepared = preparePacket(packet, node);
  if ('outcomes' in prepared) return prepared;
  const { echo, family, local, srcBytes, dstBytes, origin, sport, ctstate } = prepared;

  const index = indexRuleset(ruleset);
  const match: MatchCtx = {
    family,
    local,
    protocol: packet.protocol === 'icmp' ? (family === 'ipv4' ? 1 : 58) : packet.protocol === 'tcp' ? 6 : packet.protocol === 'udp' ? 17 : 132,
    sportAssumed: packet.sport === undefined,
  };
  const ctx: WalkCtx = {
    index,
    match,
    family,
    localAddresses: node.localAddresses,
    unknownMatches: options.unknownMatches ?? 'split',
    maxUnknownSplits: options.maxUnknownSplits ?? 8,
    assume: options.assume ?? [],
    usedAssumptions: new Set(),
    maxDepth: options.maxDepth ?? 64,
    maxSteps: options.maxSteps ?? DEFAULT_MAX_STEPS,
    stepsLeft: options.maxSteps ?? DEFAULT_MAX_STEPS,
    masqBit: index.masqBit(family),
    dropBit: index.dropBit(family),
    splitTests: new Set(),
    scratch: [],
  };
  const start: Branch = {
    probability: 1,
    src: packet.src,
    srcBytes,
    sport,
    dst: packet.dst,
    dstBytes,
    dport: packet.dport,
    origDst: packet.dst,
    origDstBytes: dstBytes,
    origDport: packet.dport,
    mark: 0,
    ctmark: 0,
    ctstate,
    dnatted: false,
    snatted: false,
    untracked: false,
    dnat: null,
    endpointChain: null,
    masquerade: false,
    natRule: null,
    natAction: null,
    masqMarkedBy: null,
    dropMarkedBy: null,
    path: [],
    assumptions: [],
    decided: [],
    reason: null,
  };
  if (!index.hasFamily(family)) {
    assume(start, `the dump has no ${family === 'ipv4' ? 'iptables (IPv4)' : 'ip6tables (IPv6)'} tables; nothing filters this packet`);
  }
  if (ctstate !== 'NEW') {
    assume(start, `a ${ctstate} packet skips the nat chains (only a connection's first packet sees them); any NAT chosen earlier is unknown`);
  }

  const finals: Final[] = [];
  const inIface = packet.inInterface ?? DEFAULT_INTERFACE;
  const inAssumed = packet.inInterface === undefined;
  const isLocal = (b: Branch): boolean => local.has(b.dstBytes);

  if (origin === 'network') {
    const fromNet = (table: TableName, hook: string, b: Branch): HookEnv => {
      const outgoing = hook === 'FORWARD' || hook === 'POSTROUTING';
      return {
        table,
        hook,
        // The kernel keeps the input device through POSTROUTING for forwarded packets.
        inIface,
        inAssumed,
        outIface: outgoing ? DEFAULT_INTERFACE : '',
        outAssumed: outgoing,
      };
    };
    for (const b of runStages(ctx, PREROUTING, [start], fromNet, finals)) {
      // The routing decision, on the destination as nat PREROUTING left it.
      if (isLocal(b)) deliver(runStages(ctx, LOCAL_IN, [b], fromNet, finals), 'local', finals);
      else deliver(runStages(ctx, FORWARD, [b], fromNet, finals), 'forward', finals);
    }
  } else {
    const fromNode = (table: TableName, hook: string, b: Branch): HookEnv => {
      const toLocal = isLocal(b);
      return { table, hook, inIface: '', inAssumed: false, outIface: toLocal ? 'lo' : DEFAULT_INTERFACE, outAssumed: !toLocal };
    };
    const overLoopback = (table: TableName, hook: string): HookEnv => ({
      table, hook, inIface: 'lo', inAssumed: false, outIface: '', outAssumed: false,
    });
    for (const b of runStages(ctx, OUTPUT, [start], fromNode, finals)) {
      if (isLocal(b)) deliver(runStages(ctx, LOOPBACK_IN, [b], overLoopback, finals), 'local', finals);
      else deliver([b], 'output', finals);
    }
  }
  const outcomes = mergeOutcomes(finals.map(toOutcome));
  if (ctx.assume.length === 0) return { packet: echo, outcomes };
  const unusedAssumptions = ctx.assume.filter((a) => !ctx.usedAssumptions.has(a.text)).map((a) => a.text);
  return { packet: echo, outcomes, unusedAssumptions };
}

type Final = Finals<Branch>;

function runStages(
  ctx: WalkCtx,
  stages: readonly Stage[],
  branches: Branch[],
  envOf: (table: TableName, hook: string, b: Branch) => HookEnv,
  finals: Final[],
): Branch[] {
  let live = branches;
  for (const [table, hook] of stages) {
    const next: Branch[] = [];
    for (const b of live) {
      // nat sees only a tracked connection's first packet.
      if (table === 'nat' && (b.untracked || b.ctstate !== 'NEW')) {
        next.push(b);
        continue;
      }
      for (const r of runHook(ctx, table, envOf(table, hook, b), b)) {
        if (r.end === 'ACCEPT') next.push(r.b);
        else finals.push({ b: r.b, verdict: r.end === 'REJECT' ? 'REJECT' : 'DROP', delivery: null });
      }
    }
    live = next;
  }
  return live;
}

function toOutcome(f: Final): Outcome {
  return outcomeOf(f, natReason);
}

/** Outcomes that ended the same way along the same path are one outcome: probabilities add up. */
export function mergeOutcomes(outcomes: Outcome[]): Outcome[] {
  const byKey = new Map<string, { o: Outcome; probability: number; assumptions: string[] }>();
  for (const o of outcomes) {
    const key = JSON.stringify([
      // Outcomes of different cases stay apart: their chances add up within a case only.
      o.case, o.verdict, o.dnat, o.masquerade, o.reason, o.delivery, o.endpointChain,
      o.path.map((s) => [s.table, s.chain, s.rule, s.target]),
    ]);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { o, probability: o.probability, assumptions: o.assumptions.slice() });
      continue;
    }
    seen.probability += o.probability;
    for (const a of o.assumptions) if (!seen.assumptions.includes(a)) seen.assumptions.push(a);
  }
  return [...byKey.values()].map(({ o, probability, assumptions }) => ({ ...o, probability, assumptions }));
}
