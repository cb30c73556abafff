/**
 * A rule as `iptables -L -v -n` shows it: the fixed columns (prot, opt, in, out, source,
 * destination) and a readable summary of its matches and target options. Pure, shared by the
 * CLI's `chain` command and any view that lists rules.
 */
import { findArg } from './parse/query.js';
import { liveTables } from './parse/live-tables.js';
import { chainRows } from './parse/rule.js';
import type { Chain, Family, Rule, RuleArg, Ruleset, TableName } from './parse/types.js';

/** xtables_print_num with FMT_KILOMEGAGIGA: exact up to 99999, then K/M/G/T rounded to 1000s. */
export function humanCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (n <= 99999) return String(n);
  const units = ['K', 'M', 'G', 'T'];
  let v = n;
  for (let i = 0; i < units.length; i++) {
    v = Math.floor((v + 500) / 1000);
    if (v <= 9999 || i === units.length - 1) return `${v}${units[i]}`;
  }
  return String(n);
}

export interface ListingColumns {
  readonly prot: string;
  readonly opt: string;
  readonly in: string;
  readonly out: string;
  readonly source: string;
  readonly destination: string;
}

export function listingColumns(rule: Rule): ListingColumns {
  const any = rule.family === 'ipv6' ? '::/0' : '0.0.0.0/0';
  const frag = findArg(rule, '-f');
  return {
    prot: negatable(findArg(rule, '-p'), 'all'),
    opt: frag ? (frag.negated ? '!f' : '-f') : '--',
    in: negatable(findArg(rule, '-i'), '*'),
    out: negatable(findArg(rule, '-o'), '*'),
    source: address(findArg(rule, '-s'), any),
    destination: address(findArg(rule, '-d'), any),
  };
}

/** Everything besides the fixed columns, in the order written: `/* comment *\/ tcp dpt:80 ADDRTYPE match dst-type LOCAL`. */
export function listingOptions(rule: Rule): string {
  const parts: string[] = [];
  const args = rule.args;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.module === null) {
      if (a.name === '-m') {
        // A match module with no options of its own (`-m tcp` alone) is still shown, as iptables does.
        const next = args[i + 1];
        const mod = a.values[0] ?? '';
        if (!next || next.module !== mod) {
          if (mod !== 'comment') parts.push(mod);
        }
      }
      continue;
    }
    if (a.module === 'recent') {
      // libxt_recent prints its options in a fixed order, not as written (iptables-save writes
      // `--name X --mask M --rsource`, iptables -L shows `name: X side: source mask: M`).
      let j = i;
      while (j + 1 < args.length && args[j + 1]!.module === 'recent') j++;
      const run = args.slice(i, j + 1).map((r, k) => ({ r, k }));
      run.sort((x, y) => recentRank(x.r) - recentRank(y.r) || x.k - y.k);
      for (const { r } of run) parts.push(describeArg(r));
      i = j;
      continue;
    }
    parts.push(describeArg(a));
  }
  return parts.filter((p) => p !== '').join(' ');
}

/** Where libxt_recent's recent_print puts an option: mode, seconds, reap, hit_count, TTL, name, side, mask. */
const RECENT_ORDER = ['--set', '--rcheck', '--update', '--remove', '--seconds', '--reap', '--hitcount', '--rttl', '--name', '--rsource', '--rdest', '--mask'];
function recentRank(a: RuleArg): number {
  const i = RECENT_ORDER.indexOf(a.name);
  return i < 0 ? RECENT_ORDER.length : i;
}

/** "ipv4/nat/KUBE-SERVICES": how chainReferenceCounts keys a chain. */
export function chainKey(family: Family, table: TableName, name: string): string {
  return `${family}/${table}/${name}`;
}

/** Rules jumping or going to each chain (iptables -L's "references"), by chainKey; read from the rule rows (no Rule objects). */
export function chainReferenceCounts(ruleset: Ruleset): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of liveTables(ruleset)) {
    for (const chain of t.chains) {
      const rows = chainRows(chain);
      for (let i = 0; i < rows.size; i++) {
        const target = rows.targetAt(i);
        if (!target) continue;
        const key = chainKey(t.family, t.name, target);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  }
  return counts;
}

/** Rules of the same table and family whose target is this chain. */
export function chainReferences(ruleset: Ruleset, chain: Chain): number {
  return chainReferenceCounts(ruleset).get(chainKey(chain.family, chain.table, chain.name)) ?? 0;
}

function negatable(a: RuleArg | undefined, none: string): string {
  if (!a) return none;
  return (a.negated ? '!' : '') + (a.values[0] ?? '');
}

function address(a: RuleArg | undefined, any: string): string {
  if (!a) return any;
  const v = (a.values[0] ?? '').replace(/\/(32|128)$/, '');
  return (a.negated ? '!' : '') + v;
}

const PORT_PREFIX: Readonly<Record<string, string>> = {
  '--dport': 'dpt', '--destination-port': 'dpt', '--sport': 'spt', '--source-port': 'spt',
};

function describeArg(a: RuleArg): string {
  const not = a.negated ? '!' : '';
  const v = a.values.join(' ');
  const mod = a.module ?? '';
  if (a.name === '--comment') return `/* ${v} */`;
  if (a.name in PORT_PREFIX && (mod === 'tcp' || mod === 'udp' || mod === 'sctp' || mod === 'udplite')) {
    const range = v.includes(':');
    return `${mod} ${PORT_PREFIX[a.name]}${range ? 's' : ''}:${not}${v}`;
  }
  switch (a.name) {
    case '--dports':
    case '--destination-ports':
      return `multiport dports ${not}${v}`;
    case '--sports':
    case '--source-ports':
      return `multiport sports ${not}${v}`;
    case '--ports':
      return `multiport ports ${not}${v}`;
    case '--dst-type':
      return `ADDRTYPE match dst-type ${not}${v}`;
    case '--src-type':
      return `ADDRTYPE match src-type ${not}${v}`;
    case '--ctstate':
      return `${a.negated ? '! ' : ''}ctstate ${v}`;
    case '--state':
      return `${a.negated ? '! ' : ''}state ${v}`;
    case '--mark':
      return mod === 'mark' || mod === '' ? `mark match ${a.negated ? '! ' : ''}${v}` : `${mod} ${a.name} ${v}`;
    case '--mode':
      return `statistic mode ${v}`;
    case '--probability':
      return `probability ${v}`;
    case '--every':
      return `every ${v}`;
    case '--to-destination':
      return `to:${v}`;
    case '--to-source':
      return `to:${v}`;
    case '--set-xmark':
      return markTarget(v);
    case '--or-mark':
      return `MARK or ${v}`;
    case '--xor-mark':
      return `MARK xor ${v}`;
    case '--and-mark':
      return `MARK and ${v}`;
    case '--set-mark':
      return `MARK set ${v}`;
    case '--random-fully':
      return 'random-fully';
    case '--random':
      return 'random';
    case '--reject-with':
      return `reject-with ${v}`;
    case '--nfacct-name':
      return `nfacct-name ${v}`;
    case '--match-set':
      return `${a.negated ? '! ' : ''}match-set ${v}`;
  }
  if (mod === 'recent') return recentPart(a);
  // Anything else as written, under its module's name.
  return `${a.negated ? '! ' : ''}${a.name}${v === '' ? '' : ' ' + v}`;
}

/** `-m recent` options that iptables -L shows as a fixed word. */
const RECENT_WORDS: ReadonlyMap<string, string> = new Map([
  ['--rcheck', 'recent: CHECK'],
  ['--set', 'recent: SET'],
  ['--update', 'recent: UPDATE'],
  ['--remove', 'recent: REMOVE'],
  ['--reap', 'reap'],
  ['--rsource', 'side: source'],
  ['--rdest', 'side: dest'],
  ['--rttl', 'TTL-Match'],
]);

/** The modes a `!` inverts, shown as iptables -L shows them: `! recent: CHECK`. */
const RECENT_MODES: ReadonlySet<string> = new Set(['--rcheck', '--set', '--update', '--remove']);

/** `-m recent` options that iptables -L shows with their value, under another name. */
const RECENT_VALUES: ReadonlyMap<string, string> = new Map([
  ['--seconds', 'seconds'],
  ['--hitcount', 'hit_count'],
  ['--name', 'name'],
  ['--mask', 'mask'],
]);

function recentPart(a: RuleArg): string {
  const v = a.values.join(' ');
  const word = RECENT_WORDS.get(a.name);
  if (word !== undefined) return RECENT_MODES.has(a.name) && a.negated ? `! ${word}` : word;
  const label = RECENT_VALUES.get(a.name);
  return label !== undefined ? `${label}: ${v}` : `${a.name} ${v}`.trim();
}

/** MARK --set-xmark V/M as iptables -L words it (kube-proxy's `--or-mark 0x4000` is saved as 0x4000/0x4000). */
function markTarget(v: string): string {
  const [valueText, maskText] = v.split('/');
  const value = Number(valueText);
  const mask = maskText === undefined ? 0xffffffff : Number(maskText);
  if (!Number.isFinite(value) || !Number.isFinite(mask)) return `MARK xset ${v}`;
  const hex = (n: number) => '0x' + (n >>> 0).toString(16);
  if (mask === 0xffffffff) return `MARK set ${hex(value)}`;
  if (value === 0) return `MARK and ${hex(~mask)}`;
  if (value === mask) return `MARK or ${hex(value)}`;
  if (mask === 0) return `MARK xor ${hex(value)}`;
  return `MARK xset ${hex(value)}/${hex(mask)}`;
}
