/**
 * A readable one-line account of a rule, from its parsed options (never from its text):
 * `tcp to 10.32.0.61:80 · default/nginx cluster IP`. Options this module does not know are
 * shown as written, so nothing a rule says is ever hidden.
 */
import type { Rule, RuleArg } from '../../core/parse/index.js';

/** Options that only name a module or the target: they say nothing by themselves. */
const SILENT = new Set(['-m', '-j', '-g']);

export function ruleSummary(rule: Rule): string {
  const parts: string[] = [];
  const used = new Set<RuleArg>();
  const take = (name: string, module?: string): RuleArg | undefined => {
    const a = rule.args.find((x) => x.name === name && (module === undefined || x.module === module) && !used.has(x));
    if (a) used.add(a);
    return a;
  };
  const neg = (a: RuleArg) => (a.negated ? '!' : '');

  const proto = take('-p');
  if (proto) parts.push(`${neg(proto)}${proto.values.join(' ')}`);

  const src = take('-s');
  const sport = take('--sport') ?? take('--source-port');
  const sports = take('--sports');
  if (src || sport || sports) parts.push(`from ${endpoint(src, sport, sports)}`);

  const dst = take('-d');
  const dport = take('--dport') ?? take('--destination-port');
  const dports = take('--dports');
  if (dst || dport || dports) parts.push(`to ${endpoint(dst, dport, dports)}`);

  const inIf = take('-i');
  if (inIf) parts.push(`in ${neg(inIf)}${inIf.values.join(' ')}`);
  const outIf = take('-o');
  if (outIf) parts.push(`out ${neg(outIf)}${outIf.values.join(' ')}`);

  const srcType = take('--src-type', 'addrtype');
  if (srcType) parts.push(`src-type ${neg(srcType)}${srcType.values.join(' ')}`);
  const dstType = take('--dst-type', 'addrtype');
  if (dstType) parts.push(`dst-type ${neg(dstType)}${dstType.values.join(' ')}`);

  const probability = take('--probability', 'statistic');
  if (probability) {
    take('--mode', 'statistic');
    parts.push(`p=${shortNumber(probability.values[0] ?? '')}`);
  }
  const every = take('--every', 'statistic');
  if (every) {
    take('--mode', 'statistic');
    parts.push(`every ${every.values.join(' ')}`);
  }

  const recentCheck = take('--rcheck', 'recent') ?? take('--update', 'recent');
  const recentSet = take('--set', 'recent');
  if (recentCheck || recentSet) {
    const seconds = take('--seconds', 'recent');
    const name = take('--name', 'recent');
    take('--reap', 'recent');
    take('--mask', 'recent');
    take('--rsource', 'recent');
    const list = name ? ` ${name.values.join(' ')}` : '';
    if (recentCheck) parts.push(`${neg(recentCheck)}affinity${seconds ? ` ${seconds.values[0]}s` : ''}${list}`);
    if (recentSet) parts.push(`remember client${list}`);
  }

  const mark = take('--mark', 'mark');
  if (mark) parts.push(`${mark.negated ? 'mark not' : 'mark'} ${mark.values.join(' ')}`);
  const ctstate = take('--ctstate', 'conntrack') ?? take('--state', 'state');
  if (ctstate) parts.push(`${neg(ctstate)}${ctstate.values.join(' ')}`);

  const target = targetSummary(rule, take);
  const comment = take('--comment', 'comment');

  for (const a of rule.args) {
    if (used.has(a) || SILENT.has(a.name)) continue;
    // Target options not summarised above are shown as written.
    parts.push(`${a.negated ? '! ' : ''}${a.name}${a.values.length ? ' ' + a.values.join(' ') : ''}`);
  }
  if (target) parts.push(target);
  if (parts.length === 0) parts.push('all');
  let text = parts.join(' ');
  if (comment) text += ` · ${comment.values.join(' ')}`;
  return text;
}

function targetSummary(rule: Rule, take: (name: string, module?: string) => RuleArg | undefined): string | null {
  switch (rule.target) {
    case 'DNAT': {
      const to = take('--to-destination', 'DNAT');
      return to ? `-> ${to.values.join(' ')}` : null;
    }
    case 'SNAT': {
      const to = take('--to-source', 'SNAT');
      return to ? `-> from ${to.values.join(' ')}` : null;
    }
    case 'MARK': {
      const xmark = take('--set-xmark', 'MARK');
      if (xmark) {
        const [value, mask] = (xmark.values[0] ?? '').split('/');
        if (mask !== undefined && value === mask) return `mark or ${value}`;
        return `mark xset ${xmark.values.join(' ')}`;
      }
      const or = take('--or-mark', 'MARK');
      if (or) return `mark or ${or.values.join(' ')}`;
      const set = take('--set-mark', 'MARK');
      if (set) return `mark set ${set.values.join(' ')}`;
      const xor = take('--xor-mark', 'MARK');
      if (xor) return `mark xor ${xor.values.join(' ')}`;
      return null;
    }
    case 'REJECT': {
      const w = take('--reject-with', 'REJECT');
      return w ? `reject-with ${w.values.join(' ')}` : null;
    }
    default:
      return null;
  }
}

/** "10.32.0.61:80", "port 80", "ports 80,443", "10.0.0.0/8 ports 80,443", "!10.0.0.0/8". */
function endpoint(address: RuleArg | undefined, port: RuleArg | undefined, ports: RuleArg | undefined): string {
  const neg = (a: RuleArg) => (a.negated ? '!' : '');
  const where = address ? `${neg(address)}${host(address.values[0] ?? '')}` : '';
  if (port) return where ? `${where}:${neg(port)}${port.values.join(' ')}` : `port ${neg(port)}${port.values.join(' ')}`;
  if (ports) return `${where ? where + ' ' : ''}ports ${neg(ports)}${ports.values.join(' ')}`;
  return where;
}

/** "10.64.2.4/32" -> "10.64.2.4": a single host reads better without its mask. */
function host(address: string): string {
  return address.replace(/\/(32|128)$/, '');
}

/** iptables-save prints 0.33333333349; four significant digits say the same. */
function shortNumber(text: string): string {
  const n = Number(text);
  return Number.isFinite(n) ? String(Number(n.toPrecision(4))) : text;
}
