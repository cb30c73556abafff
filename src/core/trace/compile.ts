/**
 * A parsed Rule -> a CompiledRule: its match conditions as small functions and its target as
 * an Action. Compiled once per rule (lazily, per chain) so a 20k-rule chain is a tight loop.
 */
import { ruleComment } from '../parse/query.js';
import type { Family, Rule, RuleArg, TableName } from '../parse/types.js';
import {
  compareIp,
  inCidr,
  isLimitedBroadcast,
  isMulticast,
  parseCidr,
  parseIp,
  type Cidr,
  type IpBytes,
  type LocalAddresses,
} from './addr.js';
import type { Branch } from './branch.js';
import { undecidedTest, type ContextRule, type UndecidedTest } from './undecided.js';
import {
  inPortRanges,
  kernelProbability,
  parseMark,
  parsePortList,
  parsePortRange,
  parseUint32,
  protocolNumber,
  type PortRange,
} from './values.js';

/** Where a match is evaluated: which hook, which interfaces (and whether we made them up). */
export interface HookEnv {
  readonly table: TableName;
  readonly hook: string;
  readonly inIface: string;
  readonly inAssumed: boolean;
  readonly outIface: string;
  readonly outAssumed: boolean;
}

/** Facts about the trace that matches need. */
export interface MatchCtx {
  readonly family: Family;
  readonly local: LocalAddresses;
  /** Protocol number of the packet (tcp 6, udp 17, sctp 132, icmp 1/58). */
  readonly protocol: number;
  /** True when the source port was not given and a default is used. */
  readonly sportAssumed: boolean;
}

/**
 * true/false, or the probability (0..1) that the condition holds (statistic). A condition that
 * rests on an assumption pushes a note; a false with a note is an "assumed false".
 */
export type Cond = (b: Branch, env: HookEnv, m: MatchCtx, notes: string[]) => boolean | number;

export type MarkOp = (mark: number) => number;

export type Action =
  | { readonly kind: 'none' }
  | { readonly kind: 'verdict'; readonly verdict: 'ACCEPT' | 'DROP' | 'REJECT' }
  | { readonly kind: 'return' }
  | { readonly kind: 'jump'; readonly chain: string; readonly goto: boolean }
  | { readonly kind: 'dnat'; readonly to: string | null; readonly redirect: boolean; readonly toPorts: string | null }
  | { readonly kind: 'snat'; readonly to: string | null; readonly masquerade: boolean }
  | { readonly kind: 'mark'; readonly op: MarkOp }
  | { readonly kind: 'connmark'; readonly apply: (b: Branch) => void }
  | { readonly kind: 'notrack' }
  | { readonly kind: 'queue' }
  /** Non-terminating targets (LOG, NFLOG, TCPMSS…); `note` when we only guess that it continues. */
  | { readonly kind: 'continue'; readonly note: string | null };

export interface CompiledRule {
  readonly rule: Rule;
  readonly comment: string | undefined;
  /** "nat KUBE-SERVICES rule 3": how notes name the rule. */
  readonly where: string;
  readonly conds: readonly Cond[];
  /**
   * Matches the tracer cannot decide from the dump (e.g. "-m set --match-set X src"), one test per
   * option, in rule order: the user's --assume, the node context or a split into cases decides them.
   */
  readonly tests: readonly UndecidedTest[];
  readonly action: Action;
}

/** Targets that are verdicts or extensions, never user chains (iptables refuses such chain names). */
const CONTINUE_TARGETS = new Set([
  'LOG', 'NFLOG', 'ULOG', 'TRACE', 'AUDIT', 'TCPMSS', 'TOS', 'DSCP', 'TTL', 'HL', 'CLASSIFY',
  'CHECKSUM', 'SECMARK', 'CONNSECMARK', 'IDLETIMER', 'LED', 'TEE', 'ECN', 'RATEEST',
  'TCPOPTSTRIP', 'HMARK', 'SET',
]);
const GUESSED_CONTINUE_TARGETS = new Set(['TPROXY', 'SYNPROXY', 'CLUSTERIP', 'NETMAP', 'NPT', 'DNPT', 'SNPT']);

export function compileRule(rule: Rule): CompiledRule {
  const where = `${rule.table} ${rule.chain} rule ${rule.index}`;
  const comment = ruleComment(rule);
  const targetAt = rule.args.findIndex((a) => (a.name === '-j' || a.name === '-g') && a.module === null);
  const matchArgs = targetAt < 0 ? rule.args : rule.args.slice(0, targetAt);
  const targetArgs = targetAt < 0 ? [] : rule.args.slice(targetAt + 1);
  const conds: Cond[] = [];
  const tests: UndecidedTest[] = [];
  for (const group of groupByModule(matchArgs)) {
    compileGroup(group, where, rule.family, conds, tests);
  }
  return { rule, comment, where, conds, tests, action: compileTarget(rule, targetArgs, where) };
}

interface ArgGroup {
  /** null for generic options (-s, -d, -p, …). */
  readonly module: string | null;
  readonly args: RuleArg[];
}

/** Splits a rule's match options into one group per `-m` (or implied protocol module). */
function groupByModule(args: readonly RuleArg[]): ArgGroup[] {
  const groups: ArgGroup[] = [];
  let current: ArgGroup | null = null;
  for (const a of args) {
    if (a.name === '-m') {
      current = { module: a.values[0] ?? '', args: [] };
      groups.push(current);
      continue;
    }
    if (a.module === null) {
      groups.push({ module: null, args: [a] });
      continue;
    }
    if (!current || current.module !== a.module) {
      current = { module: a.module, args: [] };
      groups.push(current);
    }
    current.args.push(a);
  }
  return groups;
}

function argText(a: RuleArg): string {
  const v = a.values.map((x) => (/\s/.test(x) || x === '' ? JSON.stringify(x) : x)).join(' ');
  return `${a.negated ? '! ' : ''}${a.name}${v ? ' ' + v : ''}`;
}

function compileGroup(g: ArgGroup, where: string, family: Family, conds: Cond[], tests: UndecidedTest[]): void {
  if (g.module === null) {
    for (const a of g.args) {
      const c = compileGeneric(a, where, family);
      if (c === 'unknown') tests.push(undecidedTest(null, a));
      else if (c) conds.push(c);
    }
    return;
  }
  const module = g.module;
  if (module === 'physdev') {
    for (const a of g.args) tests.push(undecidedTest(module, a, PHYSDEV_OPTIONS.has(a.name) ? NOT_BRIDGED : null));
    return;
  }
  const compiler = MODULES[module];
  if (!compiler) {
    if (g.args.length === 0) tests.push(undecidedTest(module, null));
    for (const a of g.args) tests.push(undecidedTest(module, a));
    return;
  }
  const res = compiler(g.args, where, module);
  for (const c of res.conds) conds.push(c);
  for (const a of res.unknown) tests.push(undecidedTest(module, a));
}

const PHYSDEV_OPTIONS = new Set(['--physdev-in', '--physdev-out', '--physdev-is-in', '--physdev-is-out', '--physdev-is-bridged']);

/**
 * physdev tests the bridge ports of a bridged packet. The tracer follows routed packets: one from
 * the network on an ordinary interface, or one generated on the node. Such a packet carries no
 * bridge information, and for it the kernel's xt_physdev answers every option false (so
 * `! --physdev-is-in` matches). That the in-interface is not a bridge port is the assumption.
 */
const NOT_BRIDGED: ContextRule = {
  rule: 'a routed packet is not bridged: every physdev option is false',
  answer: (_b, env) => {
    const fromNetwork = env.inIface !== '' && env.inIface !== 'lo';
    return {
      value: false,
      why: fromNetwork ? `the packet arrives on ${env.inIface}, taken as an ordinary interface (not a bridge port), so it is not bridged` : null,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Generic options

function compileGeneric(a: RuleArg, where: string, family: Family): Cond | null | 'unknown' {
  const neg = a.negated;
  switch (a.name) {
    case '-s':
    case '-d': {
      const cidrs = parseCidrList(a.values);
      if (!cidrs) return 'unknown';
      const useSrc = a.name === '-s';
      return (b) => anyCidr(useSrc ? b.srcBytes : b.dstBytes, cidrs) !== neg;
    }
    case '-p': {
      const proto = protocolNumber(a.values[0] ?? '');
      if (proto === null) return 'unknown';
      return (_b, _e, m) => (proto === 0 || proto === m.protocol) !== neg;
    }
    case '-i':
    case '-o': {
      const pattern = a.values[0] ?? '';
      const isIn = a.name === '-i';
      return (_b, env, _m, notes) => {
        const name = isIn ? env.inIface : env.outIface;
        const assumed = isIn ? env.inAssumed : env.outAssumed;
        if (assumed) notes.push(`${where}: ${argText(a)} tested against the assumed ${isIn ? 'in' : 'out'}-interface "${name}"`);
        return ifaceMatches(name, pattern) !== neg;
      };
    }
    case '-f':
      // We trace whole (unfragmented) packets: -f never matches.
      return () => neg;
    case '-4':
    case '-6': {
      const want: Family = a.name === '-4' ? 'ipv4' : 'ipv6';
      return (_b, _e, m) => (m.family === want) !== neg;
    }
    default:
      return 'unknown';
  }
}

function parseCidrList(values: readonly string[]): Cidr[] | null {
  const out: Cidr[] = [];
  for (const v of values.join(',').split(',')) {
    const c = parseCidr(v.trim());
    if (!c) return null;
    out.push(c);
  }
  return out.length > 0 ? out : null;
}

function anyCidr(addr: IpBytes, cidrs: readonly Cidr[]): boolean {
  for (const c of cidrs) if (inCidr(addr, c)) return true;
  return false;
}

/** iptables interface names: exact, or a prefix when ending with "+". */
export function ifaceMatches(name: string, pattern: string): boolean {
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return name === pattern;
}

// ---------------------------------------------------------------------------------------------
// Match modules

interface ModuleResult {
  conds: Cond[];
  /** Options of the module we do not model. */
  unknown: RuleArg[];
}

type ModuleCompiler = (args: readonly RuleArg[], where: string, module: string) => ModuleResult;

const PORT_MODULE_PROTOCOLS: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, udplite: 136 };

const TCP_FLAG_BITS: Readonly<Record<string, number>> = {
  FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128, ALL: 255, NONE: 0,
};

function tcpFlags(text: string): number | null {
  let bits = 0;
  for (const f of text.split(',')) {
    const v = TCP_FLAG_BITS[f.trim().toUpperCase()];
    if (v === undefined) return null;
    bits |= v;
  }
  return bits;
}

/** The flags of the traced packet: a SYN opens a NEW connection, later packets carry ACK. */
function packetTcpFlags(b: Branch, where: string, notes: string[]): number {
  if (b.ctstate === 'NEW') return TCP_FLAG_BITS.SYN!;
  notes.push(`${where}: TCP flags of a ${b.ctstate} packet assumed to be ACK`);
  return TCP_FLAG_BITS.ACK!;
}

const portModule: ModuleCompiler = (args, where, module) => {
  const proto = PORT_MODULE_PROTOCOLS[module]!;
  // The module only ever sees its own protocol (iptables requires -p to match it).
  const conds: Cond[] = [(_b, _e, m) => m.protocol === proto];
  const unknown: RuleArg[] = [];
  for (const a of args) {
    const neg = a.negated;
    switch (a.name) {
      case '--dport':
      case '--destination-port':
      case '--sport':
      case '--source-port': {
        const range = parsePortRange(a.values[0] ?? '');
        if (!range) {
          unknown.push(a);
          break;
        }
        const isSrc = a.name === '--sport' || a.name === '--source-port';
        conds.push(isSrc ? sportCond([range], neg, where, a) : (b) => inPortRanges(b.dport, [range]) !== neg);
        break;
      }
      case '--syn':
        if (module !== 'tcp') {
          unknown.push(a);
          break;
        }
        conds.push((b, _e, _m, notes) => ((packetTcpFlags(b, where, notes) & 0x17) === 2) !== neg);
        break;
      case '--tcp-flags': {
        const mask = tcpFlags(a.values[0] ?? '');
        const comp = tcpFlags(a.values[1] ?? '');
        if (module !== 'tcp' || mask === null || comp === null) {
          unknown.push(a);
          break;
        }
        conds.push((b, _e, _m, notes) => ((packetTcpFlags(b, where, notes) & mask) === comp) !== neg);
        break;
      }
      default:
        unknown.push(a);
    }
  }
  return { conds, unknown };
};

function sportCond(ranges: readonly PortRange[], neg: boolean, where: string, a: RuleArg): Cond {
  return (b, _e, m, notes) => {
    if (m.sportAssumed) notes.push(`${where}: ${argText(a)} tested against the assumed source port ${b.sport}`);
    return inPortRanges(b.sport, ranges) !== neg;
  };
}

const multiport: ModuleCompiler = (args, where) => {
  const conds: Cond[] = [
    (_b, _e, m) => m.protocol === 6 || m.protocol === 17 || m.protocol === 132 || m.protocol === 136,
  ];
  const unknown: RuleArg[] = [];
  for (const a of args) {
    const ranges = parsePortList(a.values.join(','));
    if (!ranges) {
      unknown.push(a);
      continue;
    }
    const neg = a.negated;
    switch (a.name) {
      case '--dports':
      case '--destination-ports':
        conds.push((b) => inPortRanges(b.dport, ranges) !== neg);
        break;
      case '--sports':
      case '--source-ports':
        conds.push(sportCond(ranges, neg, where, a));
        break;
      case '--ports':
        conds.push((b, _e, m, notes) => {
          if (m.sportAssumed && !inPortRanges(b.dport, ranges)) {
            notes.push(`${where}: ${argText(a)} tested against the assumed source port ${b.sport}`);
          }
          return (inPortRanges(b.dport, ranges) || inPortRanges(b.sport, ranges)) !== neg;
        });
        break;
      default:
        unknown.push(a);
    }
  }
  return { conds, unknown };
};

/** The route type of an address as addrtype sees it, plus whether we guessed it. */
function addressType(addr: IpBytes, local: LocalAddresses): { type: string; guessed: boolean } {
  if (local.has(addr)) return { type: 'LOCAL', guessed: false };
  if (isMulticast(addr)) return { type: 'MULTICAST', guessed: false };
  if (isLimitedBroadcast(addr)) return { type: 'BROADCAST', guessed: false };
  return { type: 'UNICAST', guessed: true };
}

const addrtype: ModuleCompiler = (args, where) => {
  const conds: Cond[] = [];
  const unknown: RuleArg[] = [];
  for (const a of args) {
    const neg = a.negated;
    switch (a.name) {
      case '--src-type':
      case '--dst-type': {
        const types = new Set(a.values.join(',').split(',').map((t) => t.trim().toUpperCase()));
        const isSrc = a.name === '--src-type';
        // Only LOCAL (and clear multicast/broadcast) is known from the node context.
        const onlyLocal = [...types].every((t) => t === 'LOCAL');
        conds.push((b, _e, m, notes) => {
          const { type, guessed } = addressType(isSrc ? b.srcBytes : b.dstBytes, m.local);
          if (guessed && !onlyLocal) {
            notes.push(`${where}: addrtype ${argText(a)}: ${isSrc ? b.src : b.dst} treated as UNICAST (not a node address)`);
          }
          return types.has(type) !== neg;
        });
        break;
      }
      case '--limit-iface-in':
      case '--limit-iface-out':
        conds.push((_b, _e, _m, notes) => {
          notes.push(`${where}: addrtype ${a.name} ignored (addresses checked against every node address)`);
          return true;
        });
        break;
      default:
        unknown.push(a);
    }
  }
  return { conds, unknown };
};

const statistic: ModuleCompiler = (args, where) => {
  const mode = args.find((a) => a.name === '--mode')?.values[0];
  const prob = args.find((a) => a.name === '--probability');
  const every = args.find((a) => a.name === '--every');
  const neg = args.some((a) => a.negated);
  const known = new Set(['--mode', '--probability', '--every', '--packet']);
  const unknown = args.filter((a) => !known.has(a.name));
  if (mode === 'random' && prob) {
    const p = kernelProbability(Number(prob.values[0]));
    if (Number.isNaN(p)) return { conds: [], unknown: [prob] };
    return { conds: [() => (neg ? 1 - p : p)], unknown };
  }
  if (mode === 'nth' && every) {
    const n = Number(every.values[0]);
    if (!(n >= 1)) return { conds: [], unknown: [every] };
    return {
      conds: [
        (_b, _e, _m, notes) => {
          notes.push(`${where}: statistic --mode nth --every ${n}: counted as a 1/${n} chance (which packet of the series this is is unknown)`);
          return neg ? 1 - 1 / n : 1 / n;
        },
      ],
      unknown,
    };
  }
  return { conds: [], unknown: args.slice() };
};

const recent: ModuleCompiler = (args, where) => {
  const conds: Cond[] = [];
  const known = new Set(['--name', '--mask', '--rsource', '--rdest', '--seconds', '--reap', '--hitcount', '--rttl']);
  const unknown: RuleArg[] = [];
  const name = args.find((a) => a.name === '--name')?.values[0] ?? 'DEFAULT';
  for (const a of args) {
    if (known.has(a.name)) continue;
    const neg = a.negated;
    switch (a.name) {
      case '--set':
        // Adds the client to the list and matches; the new entry only matters for later connections.
        conds.push(() => !neg);
        break;
      case '--rcheck':
      case '--update':
      case '--remove':
        conds.push((b, _e, _m, notes) => {
          notes.push(`${where}: session affinity (recent ${a.name} --name ${name}): assumed a new client with no entry yet`);
          return neg;
        });
        break;
      default:
        unknown.push(a);
    }
  }
  return { conds, unknown };
};

function markModule(which: 'mark' | 'ctmark'): ModuleCompiler {
  return (args) => {
    const conds: Cond[] = [];
    const unknown: RuleArg[] = [];
    for (const a of args) {
      const mm = a.name === '--mark' ? parseMark(a.values[0]) : null;
      if (!mm) {
        unknown.push(a);
        continue;
      }
      const { value, mask } = mm;
      const neg = a.negated;
      conds.push((b) => ((((which === 'mark' ? b.mark : b.ctmark) & mask) >>> 0) === value) !== neg);
    }
    return { conds, unknown };
  };
}

/** The conntrack states of the packet as the conntrack/state matches see them. */
function ctStates(b: Branch, withVirtual: boolean): Set<string> {
  const s = new Set<string>([b.untracked ? 'UNTRACKED' : b.ctstate]);
  if (withVirtual && !b.untracked) {
    if (b.dnatted) s.add('DNAT');
    if (b.snatted) s.add('SNAT');
  }
  return s;
}

function stateCond(a: RuleArg, withVirtual: boolean): Cond {
  const wanted = a.values.join(',').split(',').map((s) => s.trim().toUpperCase());
  const neg = a.negated;
  return (b) => {
    const have = ctStates(b, withVirtual);
    return wanted.some((w) => have.has(w)) !== neg;
  };
}

const conntrack: ModuleCompiler = (args, where) => {
  const conds: Cond[] = [];
  const unknown: RuleArg[] = [];
  for (const a of args) {
    const neg = a.negated;
    switch (a.name) {
      case '--ctstate':
        conds.push(stateCond(a, true));
        break;
      case '--ctproto': {
        const p = protocolNumber(a.values[0] ?? '');
        if (p === null) unknown.push(a);
        else conds.push((b, _e, m) => (!b.untracked && (p === 0 || p === m.protocol)) !== neg);
        break;
      }
      case '--ctorigsrc':
      case '--ctorigdst':
      case '--ctreplsrc':
      case '--ctrepldst': {
        const cidrs = parseCidrList(a.values);
        if (!cidrs) {
          unknown.push(a);
          break;
        }
        conds.push((b, _e, _m, notes) => {
          if (b.untracked) return neg;
          let addr: IpBytes;
          if (a.name === '--ctorigsrc') addr = b.srcBytes;
          else if (a.name === '--ctorigdst') addr = b.origDstBytes;
          else if (a.name === '--ctreplsrc') addr = b.dstBytes;
          else {
            if (b.snatted) notes.push(`${where}: ${a.name} after SNAT: reply destination assumed to be the original source`);
            addr = b.srcBytes;
          }
          return anyCidr(addr, cidrs) !== neg;
        });
        break;
      }
      case '--ctorigsrcport':
      case '--ctorigdstport':
      case '--ctreplsrcport':
      case '--ctrepldstport': {
        const r = parsePortRange(a.values[0] ?? '');
        if (!r) {
          unknown.push(a);
          break;
        }
        conds.push((b) => {
          if (b.untracked) return neg;
          const port =
            a.name === '--ctorigsrcport' || a.name === '--ctrepldstport'
              ? b.sport
              : a.name === '--ctorigdstport'
                ? b.origDport
                : b.dport;
          return inPortRanges(port, [r]) !== neg;
        });
        break;
      }
      case '--ctdir': {
        const dir = (a.values[0] ?? '').toUpperCase();
        conds.push(() => (dir === 'ORIGINAL') !== neg);
        break;
      }
      case '--ctstatus': {
        // A connection's first packet: not yet confirmed, seen-reply, assured or expected.
        const wanted = a.values.join(',').split(',').map((s) => s.trim().toUpperCase());
        conds.push((b, _e, _m, notes) => {
          if (b.ctstate !== 'NEW') notes.push(`${where}: conntrack --ctstatus of a ${b.ctstate} connection assumed NONE`);
          return wanted.includes('NONE') !== neg;
        });
        break;
      }
      default:
        unknown.push(a);
    }
  }
  return { conds, unknown };
};

const state: ModuleCompiler = (args) => {
  const conds: Cond[] = [];
  const unknown: RuleArg[] = [];
  for (const a of args) {
    if (a.name === '--state') conds.push(stateCond(a, false));
    else unknown.push(a);
  }
  return { conds, unknown };
};

const comment: ModuleCompiler = (args) => ({ conds: [], unknown: args.filter((a) => a.name !== '--comment') });

const nfacct: ModuleCompiler = (args, where) => ({
  // nfacct counts and matches; it fails only for a quota object that is over quota.
  conds: [
    (_b, _e, _m, notes) => {
      notes.push(`${where}: nfacct treated as matching (it counts; a quota's over-quota state is not known)`);
      return true;
    },
  ],
  unknown: args.filter((a) => a.name !== '--nfacct-name'),
});

const iprange: ModuleCompiler = (args) => {
  const conds: Cond[] = [];
  const unknown: RuleArg[] = [];
  for (const a of args) {
    const [lo, hi] = (a.values[0] ?? '').split('-').map((x) => parseIp(x.trim()));
    if ((a.name !== '--src-range' && a.name !== '--dst-range') || !lo || !hi) {
      unknown.push(a);
      continue;
    }
    const isSrc = a.name === '--src-range';
    const neg = a.negated;
    conds.push((b) => {
      const x = isSrc ? b.srcBytes : b.dstBytes;
      return (x.length === lo.length && compareIp(x, lo) >= 0 && compareIp(x, hi) <= 0) !== neg;
    });
  }
  return { conds, unknown };
};

const rateLimit: ModuleCompiler = (args, where, module) => ({
  conds: [
    (_b, _e, _m, notes) => {
      notes.push(`${where}: ${module} assumed under its rate limit (matches)`);
      return true;
    },
  ],
  unknown: [],
});

const pkttype: ModuleCompiler = (args) => {
  const conds: Cond[] = [];
  const unknown: RuleArg[] = [];
  for (const a of args) {
    if (a.name !== '--pkt-type') {
      unknown.push(a);
      continue;
    }
    const want = (a.values[0] ?? '').toLowerCase();
    const neg = a.negated;
    conds.push((b) => {
      const type = isMulticast(b.dstBytes) ? 'multicast' : isLimitedBroadcast(b.dstBytes) ? 'broadcast' : 'unicast';
      return (type === want) !== neg;
    });
  }
  return { conds, unknown };
};

const MODULES: Readonly<Record<string, ModuleCompiler>> = {
  tcp: portModule,
  udp: portModule,
  sctp: portModule,
  udplite: portModule,
  multiport,
  addrtype,
  statistic,
  recent,
  mark: markModule('mark'),
  connmark: markModule('ctmark'),
  conntrack,
  state,
  comment,
  nfacct,
  iprange,
  limit: rateLimit,
  hashlimit: rateLimit,
  pkttype,
};

// ---------------------------------------------------------------------------------------------
// Targets

function targetArg(args: readonly RuleArg[], ...names: string[]): RuleArg | undefined {
  return args.find((a) => names.includes(a.name));
}

function compileTarget(rule: Rule, args: readonly RuleArg[], where: string): Action {
  const t = rule.target;
  if (t === null) return { kind: 'none' };
  switch (t) {
    case 'ACCEPT':
    case 'DROP':
    case 'REJECT':
      return { kind: 'verdict', verdict: t };
    case 'RETURN':
      return { kind: 'return' };
    case 'DNAT':
      return { kind: 'dnat', to: targetArg(args, '--to-destination', '--to')?.values[0] ?? null, redirect: false, toPorts: null };
    case 'REDIRECT':
      return { kind: 'dnat', to: null, redirect: true, toPorts: targetArg(args, '--to-ports', '--to-port')?.values[0] ?? null };
    case 'SNAT':
      return { kind: 'snat', to: targetArg(args, '--to-source', '--to')?.values[0] ?? null, masquerade: false };
    case 'MASQUERADE':
      return { kind: 'snat', to: null, masquerade: true };
    case 'MARK': {
      const op = markOp(args);
      return op ? { kind: 'mark', op } : { kind: 'continue', note: `${where}: MARK options not understood; mark left unchanged` };
    }
    case 'CONNMARK': {
      const apply = connmarkOp(args);
      return apply ? { kind: 'connmark', apply } : { kind: 'continue', note: `${where}: CONNMARK options not understood; marks left unchanged` };
    }
    case 'NOTRACK':
      return { kind: 'notrack' };
    case 'CT':
      return args.some((a) => a.name === '--notrack') ? { kind: 'notrack' } : { kind: 'continue', note: null };
    case 'QUEUE':
    case 'NFQUEUE':
      return { kind: 'queue' };
    default:
      if (CONTINUE_TARGETS.has(t)) return { kind: 'continue', note: null };
      if (GUESSED_CONTINUE_TARGETS.has(t)) return { kind: 'continue', note: `${where}: target ${t} is not modelled; treated as non-terminating` };
      return { kind: 'jump', chain: t, goto: rule.goto };
  }
}

function markOp(args: readonly RuleArg[]): MarkOp | null {
  for (const a of args) {
    const mm = parseMark(a.values[0]);
    const v = parseUint32(a.values[0]);
    switch (a.name) {
      case '--set-xmark':
        if (mm) return (m) => ((m & ~mm.mask) ^ mm.value) >>> 0;
        break;
      case '--set-mark':
        if (mm) return (m) => ((m & ~mm.mask) | mm.value) >>> 0;
        break;
      case '--or-mark':
        if (v !== null) return (m) => (m | v) >>> 0;
        break;
      case '--and-mark':
        if (v !== null) return (m) => (m & v) >>> 0;
        break;
      case '--xor-mark':
        if (v !== null) return (m) => (m ^ v) >>> 0;
        break;
    }
  }
  return null;
}

function connmarkOp(args: readonly RuleArg[]): ((b: Branch) => void) | null {
  const maskOf = (name: string): number => {
    const all = parseUint32(targetArg(args, '--mask')?.values[0]);
    const own = parseUint32(targetArg(args, name)?.values[0]);
    return own ?? all ?? 0xffffffff;
  };
  const nfmask = maskOf('--nfmask');
  const ctmask = maskOf('--ctmask');
  if (targetArg(args, '--save-mark')) {
    return (b) => {
      if (!b.untracked) b.ctmark = ((b.ctmark & ~ctmask) ^ (b.mark & nfmask)) >>> 0;
    };
  }
  if (targetArg(args, '--restore-mark')) {
    return (b) => {
      if (!b.untracked) b.mark = ((b.mark & ~nfmask) ^ (b.ctmark & ctmask)) >>> 0;
    };
  }
  const op = markOp(args);
  if (!op) return null;
  return (b) => {
    if (!b.untracked) b.ctmark = op(b.ctmark);
  };
}
