/**
 * What the model needs from kube-proxy's per-service chains (SVC, SVL, XLB, EXT, FW) and
 * endpoint chains (SEP), read in one pass over the nat table in the order the dump lists them.
 *
 * One pass in table order: rules, their chains and their text lie in memory in dump order, so
 * reading them in that order, once, touches memory in order; visiting them in service order
 * would jump all over it. The groups then look the results up by name.
 *
 * Facts are numbers and strings in a few flat arrays, by the chain's number in
 * `serviceIndex`/`sepIndex`, not an object per chain and jump: a big dump has tens of thousands
 * of chains, and long-lived small objects are what the garbage collector pays for.
 * BENCHMARKS.md has the measurements behind both choices.
 */
import { WordScanner } from '../parse/scanner.js';
import { chainRows } from '../parse/rule.js';
import type { Chain, Rule } from '../parse/types.js';
import { dnatOf, SEP_PREFIX, SplitTable } from './endpoints.js';
import type { ChainKeys } from './group.js';
import type { KernelTable } from './kernel-table.js';
import { addUnique } from './lists.js';
import { serviceChainRoleOf } from './roles.js';
import { scanRule } from './scan.js';
import type { TrafficPolicy } from './types.js';

const NONE: readonly never[] = Object.freeze([]);

type FwFacts = { readonly drops: readonly Rule[]; readonly sources: readonly string[] };

export class NatChainFacts implements ChainKeys {
  /**
   * Which fact a chain has, by the chain's number in its parse (ChainRows.ref): s + 1 for SEP `s`,
   * -(c + 1) for service chain `c`, 0 for none. Chains not from the parser: by name in `byName`.
   */
  private readonly byRef: Int32Array;
  private readonly byName = new Map<string, number>();
  /** The nat table the chains are read from (chains not from the parser are looked up there by name). */
  private readonly nat: KernelTable;

  /** KUBE-SEP chains: the chain, its DNAT rule's position (-1: none) and address (null: none). */
  private readonly sepChain: Chain[];
  private readonly sepDnatAt: Int32Array;
  private readonly sepAddress: (string | null)[];
  private seps = 0;

  /** Service chains: the service chains they jump to, and their role's facts. */
  private readonly nextStart: Int32Array;
  private readonly nextCountOf: Int32Array;
  private readonly nexts: string[] = [];
  /** Their chain numbers (ChainRows.targetRefAt), -1 for a name only. */
  private readonly nextRefs: number[] = [];
  /** SVC, SVL, XLB: the split's number in `splits`; -1 for other roles. */
  private readonly splitOf: Int32Array;
  private readonly extPolicies: (TrafficPolicy | null)[];
  /** FW: its KUBE-MARK-DROP rules and the -s ranges of its jumps to service chains; null when neither. */
  private readonly fw: (FwFacts | null)[];
  private services = 0;

  readonly splits: SplitTable;

  /** For key(): chain numbers run below this. */
  get keyCount(): number {
    return this.byRef.length;
  }

  /** `nat`: the nat table of one family. */
  constructor(nat: KernelTable) {
    this.nat = nat;
    const chains = nat.chains;
    // Sorted by kind first, then each kind in its own loop (and function): a loop that meets
    // one kind of chain is compiled once, where one loop over the dump's sorted chains (all EXT,
    // then all FW, ...) was recompiled at every new kind.
    const seps: Chain[] = [];
    const splits: Chain[] = [];
    const exts: Chain[] = [];
    const fws: Chain[] = [];
    let maxRef = -1;
    let splitRules = 0;
    for (let c = 0; c < chains.length; c++) {
      const chain = chains[c]!;
      const name = chain.name;
      if (!name.startsWith('KUBE-')) continue;
      const role = name.startsWith(SEP_PREFIX) ? 'sep' : serviceChainRoleOf(name);
      if (role === null) continue;
      const ref = chainRows(chain).ref;
      if (ref > maxRef) maxRef = ref;
      if (role === 'sep') seps.push(chain);
      else if (role === 'ext') exts.push(chain);
      else if (role === 'fw') fws.push(chain);
      else {
        splits.push(chain);
        splitRules += chainRows(chain).size;
      }
    }
    this.byRef = new Int32Array(maxRef + 1);
    this.sepChain = new Array<Chain>(seps.length);
    this.sepDnatAt = new Int32Array(seps.length);
    this.sepAddress = new Array<string | null>(seps.length);
    const services = splits.length + exts.length + fws.length;
    this.nextStart = new Int32Array(services);
    this.nextCountOf = new Int32Array(services);
    this.splitOf = new Int32Array(services);
    this.extPolicies = new Array<TrafficPolicy | null>(services).fill(null);
    this.fw = new Array<FwFacts | null>(services).fill(null);
    this.splits = new SplitTable(splits.length, splitRules);
    // Each loop in a function of its own: compiled while it runs, not before (with no feedback yet).
    this.readSeps(seps);
    this.readSplitChains(splits);
    this.readExtChains(exts);
    this.readFwChains(fws);
  }

  private remember(chain: Chain, code: number): void {
    const ref = chainRows(chain).ref;
    if (ref >= 0) this.byRef[ref] = code;
    else this.byName.set(chain.name, code);
  }

  private readSeps(chains: readonly Chain[]): void {
    for (let i = 0; i < chains.length; i++) {
      const chain = chains[i]!;
      const d = dnatOf(chain);
      const s = this.seps++;
      this.remember(chain, s + 1);
      this.sepChain[s] = chain;
      this.sepDnatAt[s] = d === null ? -1 : d.at;
      this.sepAddress[s] = d === null ? null : d.address;
    }
  }

  private readSplitChains(chains: readonly Chain[]): void {
    for (let i = 0; i < chains.length; i++) {
      const chain = chains[i]!;
      this.splitOf[this.addServiceChain(chain)] = this.splits.read(chain);
    }
  }

  private readExtChains(chains: readonly Chain[]): void {
    for (let i = 0; i < chains.length; i++) {
      const c = this.addServiceChain(chains[i]!);
      this.splitOf[c] = -1;
      this.extPolicies[c] = extChainPolicy(chains[i]!);
    }
  }

  private readFwChains(chains: readonly Chain[]): void {
    for (let i = 0; i < chains.length; i++) {
      const c = this.addServiceChain(chains[i]!);
      this.splitOf[c] = -1;
      this.fw[c] = fwFacts(chains[i]!);
    }
  }

  private addServiceChain(chain: Chain): number {
    const c = this.services++;
    this.remember(chain, -(c + 1));
    this.nextStart[c] = this.nexts.length;
    this.nextCountOf[c] = this.readNext(chain);
    return c;
  }

  /** Service chains (not SEPs) the chain jumps to, in rule order, appended to `nexts`; how many. */
  private readNext(chain: Chain): number {
    const rows = chainRows(chain);
    const n = rows.size;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const t = rows.targetAt(i);
      if (t !== null && !t.startsWith(SEP_PREFIX) && serviceChainRoleOf(t) !== null) {
        this.nexts.push(t);
        this.nextRefs.push(rows.targetRefAt(i));
        count++;
      }
    }
    return count;
  }

  /**
   * s + 1 for SEP `s`, -(c + 1) for service chain `c`, 0 when the nat tables have no such chain
   * of these kinds. `ref`: the chain's number when the caller has it (ChainRows.targetRefAt), -1 if not:
   * a chain these facts hold is found by its number without hashing its name (a 10k-service
   * dump asks ~100k times); any other number (a chain of a later table of the same name, a
   * deleted one) is looked up by name, as is a name without a number.
   */
  private code(name: string, ref: number): number {
    const key = this.key(name, ref);
    return key >= 0 ? this.byRef[key]! : (this.byName.get(name) ?? 0);
  }

  /**
   * The one number that stands for service or SEP chain `name` whatever way it is reached: its
   * ChainRows.ref when these facts hold that chain, else -1 (chains known by name only). `ref` as in code().
   */
  key(name: string, ref: number): number {
    if (ref >= 0 && ref < this.byRef.length && this.byRef[ref] !== 0) return ref;
    const chain = this.nat.chain(name);
    const r = chain === undefined ? -1 : chainRows(chain).ref;
    return r >= 0 && r < this.byRef.length && this.byRef[r] !== 0 ? r : -1;
  }

  /** A service chain's number, -1 when the nat table has no such chain. `ref` as in code(). */
  serviceChain(name: string, ref: number): number {
    const code = this.code(name, ref);
    return code < 0 ? -code - 1 : -1;
  }

  /** How many service chains chain `c` jumps to. */
  nextCount(c: number): number {
    return this.nextCountOf[c]!;
  }

  /** The `i`th service chain chain `c` jumps to. */
  next(c: number, i: number): string {
    return this.nexts[this.nextStart[c]! + i]!;
  }

  /** The chain number of next(c, i), -1 when it has none. */
  nextRef(c: number, i: number): number {
    return this.nextRefs[this.nextStart[c]! + i]!;
  }

  /** The split of SVC/SVL/XLB chain `c` (a number in `splits`), -1 for other chains. */
  split(c: number): number {
    return this.splitOf[c]!;
  }

  extPolicy(c: number): TrafficPolicy | null {
    return this.extPolicies[c]!;
  }

  fwDrops(c: number): readonly Rule[] {
    return this.fw[c]?.drops ?? NONE;
  }

  fwSources(c: number): readonly string[] {
    return this.fw[c]?.sources ?? NONE;
  }

  /** A KUBE-SEP chain's number, -1 when the nat table has no such chain. `ref` as in code(). */
  sep(name: string, ref: number): number {
    const code = this.code(name, ref);
    return code > 0 ? code - 1 : -1;
  }

  /** Where SEP `s` DNATs to, null when it has no DNAT rule. */
  sepAddressOf(s: number): string | null {
    return this.sepAddress[s]!;
  }

  /** SEP `s`'s chain. */
  sepChainOf(s: number): Chain {
    return this.sepChain[s]!;
  }

  /** The position of SEP `s`'s DNAT rule in its chain; -1 when it has none. */
  sepDnatPosition(s: number): number {
    return this.sepDnatAt[s]!;
  }

  sepDnatText(s: number): string | null {
    const at = this.sepDnatAt[s]!;
    return at < 0 ? null : chainRows(this.sepChain[s]!).textAt(at);
  }
}

function fwFacts(chain: Chain): FwFacts | null {
  let drops: Rule[] | null = null;
  let sources: string[] | null = null;
  const rows = chainRows(chain);
  const words = new WordScanner();
  const n = rows.size;
  for (let i = 0; i < n; i++) {
    const t = rows.targetAt(i);
    if (t === null) continue;
    if (t === 'KUBE-MARK-DROP') {
      (drops ??= []).push(rows.ruleAt(i));
      continue;
    }
    if (serviceChainRoleOf(t) === null) continue;
    const f = scanRule(rows.textAt(i), words);
    if (f.source !== undefined && !f.sourceNegated) addUnique((sources ??= []), f.source);
  }
  return drops === null && sources === null ? null : { drops: drops ?? NONE, sources: sources ?? NONE };
}

/**
 * ETP Cluster: the EXT chain masquerades everything, then jumps to SVC.
 * ETP Local: it short-circuits pod and node (src-type LOCAL) traffic to SVC and sends the rest to SVL.
 */
function extChainPolicy(chain: Chain): TrafficPolicy | null {
  let local = false;
  const rows = chainRows(chain);
  const words = new WordScanner();
  const n = rows.size;
  for (let i = 0; i < n; i++) {
    const t = rows.targetAt(i);
    if (t === null) continue;
    const f = scanRule(rows.textAt(i), words);
    if (t === 'KUBE-MARK-MASQ' && f.conditions === 0) return 'Cluster';
    if (t.startsWith('KUBE-SVL-') || f.srcType !== undefined) local = true;
  }
  return local ? 'Local' : null;
}
