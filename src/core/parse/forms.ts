/**
 * The rule texts people paste that are not `iptables-save` output: `iptables [-t T] -S [-v]`
 * and grep output of a dump (`iptables-save | grep KUBE`). Both are iptables-save lines without
 * their `*table` and COMMIT lines. readForm turns them into save lines, line for line (so every
 * line number stays the user's), and says where a table starts and which table each run of
 * lines is read as, with why, so the parser can open it and the user is told what was assumed.
 */
import type { Diagnostic, TableName } from './types.js';

/** A run of lines read as one table that no `*table` line names. Lines count from 1. */
export interface ImplicitTable {
  readonly firstLine: number;
  readonly lastLine: number;
  readonly table: TableName;
}

/** Where a rewritten line's columns were: converted column -> the user's column. */
type ColumnMap = (column: number) => number;

export interface ReadForm {
  /** The input with `-P` and `-c P B` written as iptables-save writes them, same line count. */
  readonly text: string;
  readonly tables: readonly ImplicitTable[];
  /** One warning per implicit table, naming the table assumed and why. */
  readonly warnings: readonly Diagnostic[];
  readonly columns: ReadonlyMap<number, ColumnMap>;
}

/** Targets only the nat table has: a chain that jumps to one is nat's. */
const NAT_TARGETS = ['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'KUBE-MARK-MASQ'];

/**
 * Null when the input is a dump (its first statement is a `*table` line) or has a `*table`
 * line anywhere: then a rule outside a table is the parser's error, as before.
 */
export function readForm(input: string): ReadForm | null {
  if (!firstStatementIsRule(input) || /^[ \t]*\*/m.test(input)) return null;
  const lines = input.split('\n');
  const out: string[] = [];
  const columns = new Map<number, ColumnMap>();
  const tables: ImplicitTable[] = [];
  const warnings: Diagnostic[] = [];
  let block: Block | null = null;
  const close = (): void => {
    if (!block) return;
    const { table, why } = inferTable(block);
    tables.push({ firstLine: block.firstLine, lastLine: block.lastLine, table });
    const form = block.fromS ? '`iptables -S` output, which does not name its table' : 'rules without a *table line (grep output or a partial paste)';
    warnings.push({
      severity: 'warning',
      line: block.firstLine,
      column: 1,
      message: `${form}: lines ${block.firstLine}-${block.lastLine} read as table ${table} (${why}); \`iptables-save -c\` names every table`,
    });
    block = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!;
    const cr = line.endsWith('\r') ? '\r' : '';
    if (cr) line = line.slice(0, -1);
    const t = line.trimStart();
    const kind = lineKind(t);
    if (kind === 'other') {
      out.push(lines[i]!);
      continue;
    }
    if (kind === 'commit') {
      if (block) block.lastLine = lineNo;
      close();
      out.push(lines[i]!);
      continue;
    }
    if (kind === 'declaration' && block?.sawRule) close();
    block ??= { firstLine: lineNo, lastLine: lineNo, sawRule: false, fromS: false, chains: new Set(), targets: new Set() };
    block.lastLine = lineNo;
    let converted = line;
    if (kind === 'declaration') {
      const policy = /^-P[ \t]+(\S+)[ \t]+(\S+)(?:[ \t]+(?:-c|--set-counters)[ \t]+(\d+)[ \t]+(\d+))?[ \t]*$/.exec(t);
      if (policy) {
        // `-P CHAIN POLICY [-c P B]` is iptables-save's `:CHAIN POLICY [P:B]`.
        block.fromS = true;
        converted = `:${policy[1]} ${policy[2]}` + (policy[3] !== undefined ? ` [${policy[3]}:${policy[4]}]` : '');
        columns.set(lineNo, () => 1);
      }
      const name = /^(?::|-N[ \t]+|-P[ \t]+)(\S+)/.exec(t)?.[1];
      if (name) block.chains.add(name);
      if (t.startsWith('-N')) block.fromS = true;
    } else {
      block.sawRule = true;
      const chain = /^(?:\[\d+:\d+\][ \t]*)?-[AI][ \t]+(\S+)/.exec(t)?.[1];
      if (chain) block.chains.add(chain);
      const target = /[ \t]-[jg][ \t]+(\S+)/.exec(t)?.[1];
      if (target) block.targets.add(target);
      const moved = moveCounters(line);
      if (moved) {
        converted = moved.text;
        columns.set(lineNo, moved.map);
      }
    }
    out.push(converted + cr);
  }
  close();
  return { text: out.join('\n'), tables, warnings, columns };
}

interface Block {
  readonly firstLine: number;
  lastLine: number;
  sawRule: boolean;
  /** Written by `iptables -S` (-P or -N lines), not a grep of a dump. */
  fromS: boolean;
  readonly chains: Set<string>;
  readonly targets: Set<string>;
}

type LineKind = 'declaration' | 'rule' | 'commit' | 'other';

function lineKind(t: string): LineKind {
  if (t.startsWith(':') || /^-[PN][ \t]/.test(t)) return 'declaration';
  if (/^(?:\[\d+:\d+\][ \t]*)?-[AI][ \t]/.test(t)) return 'rule';
  if (t.trimEnd() === 'COMMIT') return 'commit';
  return 'other';
}

/** Whether the first line that is not blank or a comment is a declaration or rule, not `*table`. */
function firstStatementIsRule(input: string): boolean {
  let pos = 0;
  while (pos < input.length) {
    let end = input.indexOf('\n', pos);
    if (end < 0) end = input.length;
    const t = input.slice(pos, Math.min(end, pos + 64)).trimStart();
    if (t !== '' && !t.startsWith('#')) {
      const kind = lineKind(t);
      return kind === 'declaration' || kind === 'rule';
    }
    pos = end + 1;
  }
  return false;
}

/** The table a run of lines belongs to, from the targets its rules jump to and its built-in chains. */
export function inferTable(block: { readonly chains: ReadonlySet<string>; readonly targets: ReadonlySet<string> }): { table: TableName; why: string } {
  const nat = NAT_TARGETS.filter((t) => block.targets.has(t));
  if (nat.length > 0) return { table: 'nat', why: `it holds ${nat.join(', ')} jumps, which only nat has` };
  const has = (c: string): boolean => block.chains.has(c);
  const builtins = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].filter(has);
  const named = `its built-in chains are ${builtins.join(', ')}`;
  if (has('PREROUTING') && has('FORWARD')) return { table: 'mangle', why: named };
  if (has('PREROUTING') && has('OUTPUT') && !has('INPUT') && !has('POSTROUTING')) return { table: 'raw', why: named };
  if (has('PREROUTING') || has('POSTROUTING')) return { table: 'nat', why: named };
  return { table: 'filter', why: 'nothing in it belongs only to nat, mangle or raw' };
}

/**
 * `-A CHAIN ... -c P B ...` (`iptables -S -v`) as `[P:B] -A CHAIN ... ...`, and where each
 * column of the new line was; null when the line carries no `-c`.
 */
function moveCounters(line: string): { text: string; map: ColumnMap } | null {
  if (line.trimStart().startsWith('[')) return null;
  const m = /(^|[ \t])(?:-c|--set-counters)[ \t]+(\d+)[ \t]+(\d+)(?=[ \t]|$)[ \t]*/.exec(line);
  if (!m) return null;
  const removedAt = m.index + m[1]!.length;
  const removed = m[0].length - m[1]!.length;
  const prefix = `[${m[2]}:${m[3]}] `;
  const rest = line.slice(0, removedAt) + line.slice(removedAt + removed);
  const k = prefix.length;
  const map: ColumnMap = (column) => {
    const at = column - 1 - k;
    if (at < 0) return 1;
    return at < removedAt ? at + 1 : at + removed + 1;
  };
  return { text: prefix + rest.trimEnd(), map };
}
