/**
 * `which`: for a service port, the entry probes (entry-probes.ts), each traced by the same tracer
 * `trace` uses, so the two never disagree. Pure: the tracer is passed in, and with it the kind of
 * ruleset (iptables' Ruleset, or an NftRuleset with traceNftPacket).
 */
import { planEntryProbes, type PlannedProbe, type ProbeOptions } from './entry-probes.js';
import type { Protocol, ServicePort } from './kube/types.js';
import { BUILTIN_CHAINS, isTableName, type Ruleset } from './parse/types.js';
import { liveTables } from './parse/live-tables.js';
import { hostPort } from './trace/addr.js';
import type { NodeContext, Packet, PathStep, TraceResult } from './trace/types.js';

export type Tracer<R = Ruleset> = (ruleset: R, packet: Packet, node: NodeContext) => TraceResult;

export type WhichOptions = ProbeOptions;

export interface EntryProbe extends PlannedProbe {
  readonly result: TraceResult;
}

export interface ServiceWhich {
  readonly service: ServicePort;
  readonly probes: EntryProbe[];
  /** Things the reader must know: a made-up node address, a client moved into the source ranges. */
  readonly notes: string[];
}

export function whichService<R = Ruleset>(ruleset: R, service: ServicePort, options: WhichOptions, trace: Tracer<R>): ServiceWhich {
  const { probes, notes } = planEntryProbes(service, options);
  return { service, probes: probes.map((p) => ({ ...p, result: trace(ruleset, p.packet, p.node) })), notes };
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
        notes.push(`${fam}nat ${hook} has no jump to KUBE-SERVICES in this dump (a restore-form dump?): packets ${hook === 'PREROUTING' ? 'from the network' : 'from the node'} reach no service rule; --kube-jumps adds kube-proxy's standard jumps, each marked as assumed`);
      }
    }
  }
  return notes;
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

/** iptables: a step in a built-in chain (nat PREROUTING, filter FORWARD, …) starts a hook's part. */
export function isBuiltinChainStep(step: PathStep): boolean {
  return isTableName(step.table) && BUILTIN_CHAINS[step.table].includes(step.chain);
}

/**
 * Splits a trace path by hook (nat PREROUTING, filter FORWARD, …), in the order the packet met
 * them. `isHookChain` tells which steps sit in a hook's own chain: iptables' built-in chains by
 * default; for nftables, nftBaseChainTest(ruleset).
 */
export function pathByHook(path: readonly PathStep[], isHookChain: (step: PathStep) => boolean = isBuiltinChainStep): HookSegment[] {
  const segments: HookSegment[] = [];
  let current: HookSegment | null = null;
  for (const step of path) {
    const isHook = isHookChain(step);
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
  // nftables tables are named with their family ("ip kube-proxy"): ip and ip6 tables share names.
  const family = segment.steps[0]?.nftFamily;
  return `${family === undefined ? segment.table : `${family} ${segment.table}`} ${parts.join(' > ')}`;
}
