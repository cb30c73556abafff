/**
 * `iptables [-t T] -L -n -v [-x] [--line-numbers]` listings, read line for line as the dump
 * they print: `Chain X (policy P N packets, M bytes)` is `:X P [N:M]`, each rule row is
 * `[p:b] -A X <options> -j TARGET <target options>`. The match column is translated for what
 * kube-proxy's rules print; anything else is an error at its column (never dropped: a match
 * left out would change what the rule matches). Without -v a listing has no interfaces, so it
 * is refused; without -x its counters are rounded, which one warning says.
 */
import type { Diagnostic } from './types.js';
import { inferTable, type ImplicitTable, type ReadForm } from './forms.js';

const HEADER = /^(num\s+)?pkts\s+bytes\s+target\s+prot\s+opt\s+in\s+out\s+source\s+destination\s*$/;
const CHAIN = /^Chain (\S+) \((?:policy (\S+) (\d+[KMGT]?) packets, (\d+[KMGT]?) bytes|(\d+) references?)\)\s*$/;
const PROTOCOL_NUMBERS: Readonly<Record<string, string>> = { '6': 'tcp', '17': 'udp', '132': 'sctp', '1': 'icmp', '58': 'ipv6-icmp' };
const SUFFIX: Readonly<Record<string, number>> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Null when the input is not a listing (its first statement is not a `Chain` line). */
export function readListing(input: string): (ReadForm & { readonly errors: readonly Diagnostic[] }) | null {
  // Only the first statement decides: a dump is not split into lines here.
  const start = /^[ \t]*[^\s#]/m.exec(input);
  if (!start || !/^Chain \S+ \((policy \S+|\d+ references?)/.test(input.slice(start.index, start.index + 200))) return null;
  const lines = input.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const out: string[] = [];
  const tables: ImplicitTable[] = [];
  let block: { firstLine: number; lastLine: number; chains: Set<string>; targets: Set<string> } | null = null;
  let chain: string | null = null;
  let columns: Columns | null = null;
  let rounded = 0;
  const close = (): void => {
    if (!block) return;
    const { table, why } = inferTable(block);
    tables.push({ firstLine: block.firstLine, lastLine: block.lastLine, table });
    warnings.push({
      severity: 'warning', line: block.firstLine, column: 1,
      message: `an \`iptables -L\` listing, which does not name its table: lines ${block.firstLine}-${block.lastLine} read as table ${table} (${why}); \`iptables-save -c\` names every table`,
    });
    block = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) {
      out.push(line);
      continue;
    }
    const c = CHAIN.exec(line);
    if (c) {
      const name = c[1]!;
      // A chain seen again is the next table's (`iptables -L; iptables -t nat -L`).
      if (block?.chains.has(name)) close();
      block ??= { firstLine: lineNo, lastLine: lineNo, chains: new Set(), targets: new Set() };
      block.chains.add(name);
      block.lastLine = lineNo;
      chain = name;
      columns = null;
      if (c[2] !== undefined) {
        const p = counter(c[3]!);
        const b = counter(c[4]!);
        if (p.rounded || b.rounded) rounded++;
        out.push(`:${name} ${c[2]} [${p.value}:${b.value}]`);
      } else {
        out.push(`:${name} - [0:0]`);
      }
      continue;
    }
    if (/^Chain \S+ \(policy \S+\)\s*$/.test(line)) {
      return refuse(lineNo, 'this is an `iptables -L` listing without -v, which leaves out interfaces and counters: run `iptables -L -n -v -x` or, better, `iptables-save -c`');
    }
    if (HEADER.test(line.trim())) {
      columns = headerColumns(line);
      out.push('');
      continue;
    }
    if (chain === null || columns === null || !block) {
      errors.push({ severity: 'error', line: lineNo, column: 1, message: 'unexpected line in an `iptables -L` listing (expected a Chain line, the column header or a rule)' });
      out.push('');
      continue;
    }
    block.lastLine = lineNo;
    const row = readRow(line, columns, chain);
    if ('error' in row) {
      errors.push({ severity: 'error', line: lineNo, column: row.column, message: row.error });
      out.push('');
      continue;
    }
    if (row.rounded) rounded++;
    if (row.target) block.targets.add(row.target);
    out.push(row.text);
  }
  close();
  if (rounded > 0) {
    warnings.push({
      severity: 'warning', line: first + 1, column: 1,
      message: `the listing's counters are rounded (K, M, G) on ${rounded} line${rounded === 1 ? '' : 's'}: \`iptables -L -n -v -x\` prints exact ones`,
    });
  }
  return { text: out.join('\n'), tables, warnings, columns: new Map(), errors };

  function refuse(line: number, message: string) {
    return { text: '', tables: [], warnings: [], columns: new Map(), errors: [{ severity: 'error' as const, line, column: 1, message }] };
  }
}

interface Columns {
  readonly num: boolean;
  /** Where the target column starts (left-aligned under its header). */
  readonly target: number;
  readonly prot: number;
}

function headerColumns(line: string): Columns {
  return { num: /^\s*num\s/.test(line), target: line.indexOf('target'), prot: line.indexOf('prot') };
}

function counter(text: string): { value: number; rounded: boolean } {
  const m = /^(\d+)([KMGT]?)$/.exec(text)!;
  return m[2] ? { value: Number(m[1]) * SUFFIX[m[2]]!, rounded: true } : { value: Number(m[1]), rounded: false };
}

type Row = { text: string; target: string | null; rounded: boolean } | { error: string; column: number };

function readRow(line: string, cols: Columns, chain: string): Row {
  // Words with their columns: a long target or counter pushes the columns right, so the row is
  // read by its words. `opt` (--, -f, !f) after prot tells whether a target is there.
  const words: { text: string; at: number }[] = [];
  for (const m of line.matchAll(/\S+/g)) {
    words.push({ text: m[0], at: m.index });
    if (words.length >= 10) break;
  }
  let i = cols.num ? 1 : 0;
  const pk = words[i]?.text;
  const by = words[i + 1]?.text;
  if (pk === undefined || by === undefined || !/^\d+[KMGT]?$/.test(pk) || !/^\d+[KMGT]?$/.test(by)) {
    return { error: 'expected the packet and byte counters of a rule (`iptables -L -n -v`)', column: 1 };
  }
  i += 2;
  const p = counter(pk);
  const b = counter(by);
  const isOpt = (w: { text: string } | undefined) => w !== undefined && /^(--|-f|!f)$/.test(w.text);
  let target: string | null = null;
  if (isOpt(words[i + 2]) && !isOpt(words[i + 1])) {
    target = words[i]!.text;
    i++;
  } else if (!isOpt(words[i + 1])) {
    return { error: 'expected target, prot and opt columns', column: (words[i]?.at ?? 0) + 1 };
  }
  const fields = words.slice(i, i + 6).map((w) => w.text);
  if (fields.length < 6) return { error: 'a rule row needs prot, opt, in, out, source and destination', column: line.length + 1 };
  const last = words[i + 5]!;
  const pos = last.at + last.text.length;
  const rest = line;
  const [prot, opt, inIf, outIf, src, dst] = fields as [string, string, string, string, string, string];
  const opts: string[] = [];
  const neg = (v: string): [string, string] => (v.startsWith('!') ? ['! ', v.slice(1)] : ['', v]);
  const any = (v: string) => v === '0.0.0.0/0' || v === '::/0';
  const host = (v: string) => (v.includes('/') ? v : v.includes(':') ? `${v}/128` : `${v}/32`);
  if (!any(src)) { const [n, v] = neg(src); opts.push(`${n}-s ${host(v)}`); }
  if (!any(dst)) { const [n, v] = neg(dst); opts.push(`${n}-d ${host(v)}`); }
  if (inIf !== '*') { const [n, v] = neg(inIf); opts.push(`${n}-i ${v}`); }
  if (outIf !== '*') { const [n, v] = neg(outIf); opts.push(`${n}-o ${v}`); }
  let protocol: string | null = null;
  if (prot !== 'all' && prot !== '0') {
    const [n, v] = neg(prot);
    protocol = PROTOCOL_NUMBERS[v] ?? v;
    opts.push(`${n}-p ${protocol}`);
  }
  if (opt === '-f' || opt === '!f') opts.push(opt === '-f' ? '-f' : '! -f');
  const extras = translateExtras(rest.slice(pos), target, pos);
  if ('error' in extras) return extras;
  const parts = [`[${p.value}:${b.value}] -A ${chain}`, ...opts, ...extras.matches];
  if (target) parts.push(`-j ${target}`, ...extras.targetOptions);
  else if (extras.targetOptions.length > 0) return { error: 'target options without a target', column: pos + 1 };
  return { text: parts.join(' '), target, rounded: p.rounded || b.rounded };
}

/** What `iptables -L` prints after the destination, for kube-proxy's matches and targets. */
const EXTRAS: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray, target: string | null) => { match?: string; target?: string } | null]> = [
  [/^\/\* (.*?) \*\//, (m) => ({ match: `-m comment --comment ${quote(m[1]!)}` })],
  [/^(tcp|udp|sctp) ((?:(?:spt|dpt)s?:!?\S+ ?)+)/, (m) => ({
    match: `-m ${m[1]} ` + m[2]!.trim().split(' ').map((w) => {
      const [k, v] = [w.slice(0, w.indexOf(':')), w.slice(w.indexOf(':') + 1)];
      const [n, value] = v.startsWith('!') ? ['! ', v.slice(1)] : ['', v];
      return `${n}--${k.startsWith('s') ? 'sport' : 'dport'} ${value}`;
    }).join(' '),
  })],
  // `-m tcp` with no option of its own prints the protocol alone.
  [/^(tcp|udp|sctp)(?= |$)/, (m) => ({ match: `-m ${m[1]}` })],
  [/^multiport (dports|sports) (!?)(\S+)/, (m) => ({ match: `-m multiport ${m[2] ? '! ' : ''}--${m[1]} ${m[3]}` })],
  [/^ADDRTYPE match (src|dst)-type (!?)(\S+)( limit-(?:in|out))?/, (m) => ({ match: `-m addrtype ${m[2] ? '! ' : ''}--${m[1]}-type ${m[3]}${m[4] ? ` --${m[4].trim()}` : ''}` })],
  [/^statistic mode random probability (\S+)/, (m) => ({ match: `-m statistic --mode random --probability ${m[1]}` })],
  [/^mark match (! ?)?(\S+)/, (m) => ({ match: `-m mark ${m[1] ? '! ' : ''}--mark ${m[2]}` })],
  [/^(! )?ctstate (! ?)?(\S+)/, (m) => ({ match: `-m conntrack ${m[1] || m[2] ? '! ' : ''}--ctstate ${m[3]}` })],
  [/^(! )?state (! ?)?(\S+)/, (m) => ({ match: `-m state ${m[1] || m[2] ? '! ' : ''}--state ${m[3]}` })],
  [/^recent: (SET|CHECK|UPDATE|REMOVE)(?: seconds: (\d+))?( reap)? name: (\S+) side: (source|dest)(?: mask: (\S+))?/, (m) => ({
    match: `-m recent --${{ SET: 'set', CHECK: 'rcheck', UPDATE: 'update', REMOVE: 'remove' }[m[1] as 'SET']}` +
      (m[2] ? ` --seconds ${m[2]}` : '') + (m[3] ? ' --reap' : '') + ` --name ${m[4]}` + (m[6] ? ` --mask ${m[6]}` : '') + (m[5] === 'source' ? ' --rsource' : ' --rdest'),
  })],
  [/^to:(\S+)/, (m, t) => (t === 'DNAT' ? { target: `--to-destination ${m[1]}` } : t === 'SNAT' ? { target: `--to-source ${m[1]}` } : null)],
  [/^random-fully/, (_m, t) => (t === 'MASQUERADE' || t === 'SNAT' ? { target: '--random-fully' } : null)],
  [/^MARK (or|and|xor|set|xset) (\S+)/, (m, t) => (t === 'MARK' ? { target: `--${{ or: 'or-mark', and: 'and-mark', xor: 'xor-mark', set: 'set-mark', xset: 'set-xmark' }[m[1] as 'or']} ${m[2]}` } : null)],
  [/^reject-with (\S+)/, (m, t) => (t === 'REJECT' ? { target: `--reject-with ${m[1]}` } : null)],
];

function translateExtras(text: string, target: string | null, column0: number): { matches: string[]; targetOptions: string[] } | { error: string; column: number } {
  const matches: string[] = [];
  const targetOptions: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t')) pos++;
    if (pos >= text.length) break;
    const rest = text.slice(pos);
    let done = false;
    for (const [re, make] of EXTRAS) {
      const m = re.exec(rest);
      if (!m) continue;
      const r = make(m, target);
      if (!r) continue;
      if (r.match) matches.push(r.match);
      if (r.target) targetOptions.push(r.target);
      pos += m[0].length;
      done = true;
      break;
    }
    if (!done) {
      const word = /^\S+(?: \S+)?/.exec(rest)?.[0] ?? rest;
      return { error: `cannot read "${word}" in this \`iptables -L\` listing (kubechains reads kube-proxy's matches there); \`iptables-save -c\` gives every rule exactly`, column: column0 + pos + 1 };
    }
  }
  return { matches, targetOptions };
}

function quote(s: string): string {
  return /^[A-Za-z0-9_./:-]+$/.test(s) ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
