/**
 * traceNftPacket: one packet through every base chain of every table that sees it, in the kernel's
 * order, with every outcome and its probability.
 *
 * Hooks: from the network, prerouting -> routing on the (possibly DNATed) destination -> input
 * (local) or forward -> postrouting; from the node, output -> postrouting, and back in over
 * loopback (prerouting, input) when the destination is local, where conntrack already holds both
 * NAT bindings and no nat chain runs. In each hook the base chains of the tables whose family
 * applies (ip for IPv4, ip6 for IPv6, inet for both) run by priority, identified by hook and
 * priority, never by name.
 *
 * nat chains are not hooked at their own priority: the kernel's NAT core calls them from its own
 * hook (-100 at prerouting and output, 100 at postrouting and input), in their priority order,
 * only for a connection's first packet, and stops at the first one that sets a binding.
 */
import { DEFAULT_INTERFACE, DEFAULT_MAX_STEPS, mergeOutcomes, preparePacket } from '../../trace/tracer.js';
import type { Family } from '../../parse/types.js';
import type { NodeContext, Outcome, Packet, TraceOptions, TraceResult } from '../../trace/types.js';
import type { NftChain, NftRuleset, NftTable } from '../types.js';
import { noteOn, type NftBranch } from './branch.js';
import type { EvalCtx, NftEnv } from './eval.js';
import { natReason } from './reasons.js';
import { runBaseChain, type NftWalkCtx } from './walk.js';
import { deliver, outcomeOf, type Final as Finals } from '../../trace/finals.js';

export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

/** Where the NAT core hooks in (NF_IP_PRI_NAT_DST / NF_IP_PRI_NAT_SRC). */
const NAT_CORE_PRIORITY: Readonly<Record<NftHook, number | null>> = {
  prerouting: -100, output: -100, input: 100, postrouting: 100, forward: null,
};

/** Chain types that act at their hook; the others (none known today) are left out and said so. */
const TRACED_TYPES = new Set(['filter', 'nat', 'route']);

export interface HookChain {
  readonly table: NftTable;
  readonly chain: NftChain;
  readonly nat: boolean;
  /** The priority the kernel runs it at (the NAT core's for nat chains). */
  readonly effective: number;
}

/** Every base chain of the ruleset, found once per ruleset (a 10k-service dump has 60k chains). */
const baseChainsOf = new WeakMap<NftRuleset, Array<{ table: NftTable; chain: NftChain }>>();
const hookChainsOf = new WeakMap<NftRuleset, Map<string, { chains: HookChain[]; notes: string[] }>>();

/** The base chains on `hook` for a packet of `family`, in the order the kernel runs them, and notes on ties. */
export function hookChains(nft: NftRuleset, family: Family, hook: NftHook): { chains: HookChain[]; notes: string[] } {
  let byHook = hookChainsOf.get(nft);
  if (!byHook) hookChainsOf.set(nft, (byHook = new Map()));
  const key = `${family} ${hook}`;
  let found = byHook.get(key);
  if (!found) byHook.set(key, (found = findHookChains(nft, family, hook)));
  return found;
}

function findHookChains(nft: NftRuleset, family: Family, hook: NftHook): { chains: HookChain[]; notes: string[] } {
  let all = baseChainsOf.get(nft);
  if (!all) {
    all = [];
    for (const table of nft.tables) for (const chain of table.chains) if (chain.base !== null) all.push({ table, chain });
    baseChainsOf.set(nft, all);
  }
  const chains: HookChain[] = [];
  const notes: string[] = [];
  for (const { table, chain } of all) {
    if (!(table.family === 'inet' || table.family === (family === 'ipv4' ? 'ip' : 'ip6'))) continue;
    const base = chain.base!;
    if (base.hook !== hook) continue;
    if (!TRACED_TYPES.has(base.type)) {
      notes.push(`${table.family} ${table.name} ${chain.name}: chain type ${base.type} is not traced`);
      continue;
    }
    const nat = base.type === 'nat';
    chains.push({ table, chain, nat, effective: nat ? NAT_CORE_PRIORITY[hook] ?? base.priority : base.priority });
  }
  // Stable: equal keys keep dump order.
  chains.sort((a, b) => a.effective - b.effective || (a.nat && b.nat ? a.chain.base!.priority - b.chain.base!.priority : Number(a.nat) - Number(b.nat)));
  for (let i = 1; i < chains.length; i++) {
    const a = chains[i - 1]!;
    const b = chains[i]!;
    const tie = a.effective === b.effective && (!(a.nat && b.nat) || a.chain.base!.priority === b.chain.base!.priority);
    if (!tie) continue;
    const name = (h: HookChain) => `${h.table.family} ${h.table.name} ${h.chain.name}`;
    const prio = a.nat && b.nat ? a.chain.base!.priority : a.effective;
    notes.push(
      a.nat !== b.nat
        ? `${hook}: ${name(a.nat ? b : a)} runs at priority ${prio}, where the NAT core calls the nat chains; the kernel runs equal priorities in the order they were registered, which the dump does not show: traced with ${name(a)} first`
        : `${hook}: ${name(a)} and ${name(b)} have the same priority ${prio}; the kernel runs them in the order they were registered, which the dump does not show: traced in dump order`,
    );
  }
  return { chains, notes };
}

type Final = Finals<NftBranch>;

export function traceNftPacket(nft: NftRuleset, packet: Packet, node: NodeContext, options: TraceOptions = {}): TraceResult {
  const prepared = preparePacket(packet, node);
  if ('outcomes' in prepared) return prepared;
  const { echo, family, local, srcBytes, dstBytes, origin, sport, ctstate } = prepared;

  const v6 = family === 'ipv6';
  const protocol = packet.protocol === 'icmp' ? (v6 ? 58 : 1) : packet.protocol === 'tcp' ? 6 : packet.protocol === 'udp' ? 17 : 132;
  const evalCtx: EvalCtx = { v6, protocol, local };
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const ctx: NftWalkCtx = {
    evalCtx,
    assume: options.assume ?? [],
    usedAssumptions: new Set(),
    unknownMatches: options.unknownMatches ?? 'split',
    maxUnknownSplits: options.maxUnknownSplits ?? 8,
    splitTests: new Set(),
    maxDepth: options.maxDepth ?? 64,
    maxSteps,
    stepsLeft: maxSteps,
    localAddresses: node.localAddresses,
  };
  const start: NftBranch = {
    probability: 1,
    src: packet.src,
    srcBytes,
    sport,
    dst: packet.dst,
    dstBytes,
    dport: packet.dport,
    mark: 0,
    ctmark: 0,
    ctstate,
    untracked: false,
    dstNatDone: false,
    srcNatDone: false,
    dnat: null,
    endpointChain: null,
    masquerade: false,
    natStep: null,
    natAction: null,
    markSetters: [],
    clearedBits: 0,
    element: null,
    path: [],
    assumptions: [],
    decided: [],
    reason: null,
  };
  const tableFamily = v6 ? 'ip6' : 'ip';
  if (!nft.tables.some((t) => t.family === tableFamily || t.family === 'inet')) {
    noteOn(start, `the ruleset has no ${tableFamily} or inet table; nothing filters this packet`);
  }
  if (nft.tables.some((t) => t.family === 'netdev' && t.chains.some((c) => c.base !== null))) {
    noteOn(start, 'netdev (ingress) chains are not traced');
  }
  if (ctstate !== 'NEW') {
    noteOn(start, `a ${ctstate} packet skips the nat chains (only a connection's first packet sees them); any NAT chosen earlier is unknown`);
  }

  const finals: Final[] = [];
  const inIface = packet.inInterface ?? DEFAULT_INTERFACE;
  const inAssumed = packet.inInterface === undefined;
  const isLocal = (b: NftBranch): boolean => local.has(b.dstBytes);
  const run = (hook: NftHook, branches: NftBranch[], envOf: (b: NftBranch) => NftEnv, withNat = true): NftBranch[] =>
    runHook(ctx, nft, family, hook, branches, envOf, withNat, finals);

  if (origin === 'network') {
    const env = (hook: NftHook) => (): NftEnv => {
      const outgoing = hook === 'forward' || hook === 'postrouting';
      return { hook, iif: inIface, iifAssumed: inAssumed, oif: outgoing ? DEFAULT_INTERFACE : '', oifAssumed: outgoing };
    };
    for (const b of run('prerouting', [start], env('prerouting'))) {
      // The routing decision, on the destination as prerouting left it.
      if (isLocal(b)) deliver(run('input', [b], env('input')), 'local', finals);
      else deliver(run('postrouting', run('forward', [b], env('forward')), env('postrouting')), 'forward', finals);
    }
  } else {
    const fromNode = (hook: NftHook) => (b: NftBranch): NftEnv => {
      const toLocal = isLocal(b);
      return { hook, iif: '', iifAssumed: false, oif: toLocal ? 'lo' : DEFAULT_INTERFACE, oifAssumed: !toLocal };
    };
    const overLoopback = (hook: NftHook) => (): NftEnv => ({ hook, iif: 'lo', iifAssumed: false, oif: '', oifAssumed: false });
    for (const b of run('postrouting', run('output', [start], fromNode('output')), fromNode('postrouting'))) {
      if (isLocal(b)) {
        deliver(run('input', run('prerouting', [b], overLoopback('prerouting'), false), overLoopback('input'), false), 'local', finals);
      } else deliver([b], 'output', finals);
    }
  }
  const outcomes = mergeOutcomes(finals.map(toOutcome));
  if (ctx.assume.length === 0) return { packet: echo, outcomes };
  const unusedAssumptions = ctx.assume.filter((a) => !ctx.usedAssumptions.has(a.text)).map((a) => a.text);
  return { packet: echo, outcomes, unusedAssumptions };
}

function runHook(
  ctx: NftWalkCtx,
  nft: NftRuleset,
  family: Family,
  hook: NftHook,
  branches: NftBranch[],
  envOf: (b: NftBranch) => NftEnv,
  withNat: boolean,
  finals: Final[],
): NftBranch[] {
  if (branches.length === 0) return branches;
  const { chains, notes } = hookChains(nft, family, hook);
  let live = branches;
  for (const b of live) for (const n of notes) noteOn(b, n);
  for (const hc of chains) {
    const next: NftBranch[] = [];
    for (const b of live) {
      if (hc.nat) {
        // nat sees only a tracked connection's first packet, until one nat chain binds it.
        const bound = hook === 'prerouting' || hook === 'output' ? b.dstNatDone : b.srcNatDone;
        if (!withNat || b.untracked || b.ctstate !== 'NEW' || bound) {
          next.push(b);
          continue;
        }
      }
      for (const r of runBaseChain(ctx, hc.table, hc.chain, b, envOf(b))) {
        if (r.end === 'accept') next.push(r.b);
        else finals.push({ b: r.b, verdict: r.end === 'reject' ? 'REJECT' : 'DROP', delivery: null });
      }
    }
    live = next;
  }
  return live;
}

function toOutcome(f: Final): Outcome {
  return outcomeOf(f, natReason);
}
