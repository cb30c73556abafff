/**
 * Ruleset -> iptables-save text. Written from the parsed structure (not from kept raw lines)
 * so that parse-then-serialize reproducing a dump proves the parser understood every word.
 */
import type { Chain, Rule, RuleArg, Ruleset, Table } from './types.js';

/** Options that iptables prints through xtables_save_string: quoted unless plain word chars. */
const SAVE_STRING_OPTIONS = new Set(['--comment', '--log-prefix', '--nflog-prefix']);
const PLAIN = /^[A-Za-z0-9_-]+$/;

export function serializeRuleset(ruleset: Ruleset): string {
  const out: string[] = [];
  for (const table of ruleset.tables) serializeTable(table, out);
  // Loops, not push(...spread): a dump with a million comment lines would overflow the stack.
  for (const line of ruleset.trailingLines) out.push(line);
  return out.join('\n') + '\n';
}

function serializeTable(table: Table, out: string[]): void {
  for (const line of table.leadingLines) out.push(line);
  out.push(`*${table.name}`);
  for (const chain of table.chains) out.push(chainLine(chain));
  for (const rule of table.rules) out.push(ruleLine(rule));
  if (table.commitLine !== null) out.push('COMMIT');
}

export function chainLine(chain: Chain): string {
  const counters = chain.counters ? ` [${chain.counters.packets}:${chain.counters.bytes}]` : '';
  return `:${chain.name} ${chain.policy ?? '-'}${counters}`;
}

export function ruleLine(rule: Rule): string {
  const counters = rule.counters ? `[${rule.counters.packets}:${rule.counters.bytes}] ` : '';
  return `${counters}-A ${rule.chain}${ruleArgsText(rule.args)}`;
}

/** The options of a rule as iptables-save prints them, with a leading space. */
export function ruleArgsText(args: readonly RuleArg[]): string {
  let s = '';
  for (const a of args) {
    s += a.negated ? ` ! ${a.name}` : ` ${a.name}`;
    const saveString = SAVE_STRING_OPTIONS.has(a.name);
    if (saveString && a.values.length > 1) {
      s += ' ' + quoteSaveString(a.values.join(' '));
      continue;
    }
    for (const v of a.values) s += ' ' + (saveString ? quoteSaveString(v) : quoteIfNeeded(v));
  }
  return s;
}

/** iptables' xtables_save_string: bare when only [A-Za-z0-9_-], else quoted with \ escapes. */
export function quoteSaveString(v: string): string {
  if (PLAIN.test(v)) return v;
  return '"' + v.replace(/["\\']/g, (c) => '\\' + c) + '"';
}

function quoteIfNeeded(v: string): string {
  if (v !== '' && !/[\s"\\']/.test(v)) return v;
  return '"' + v.replace(/["\\]/g, (c) => '\\' + c) + '"';
}
