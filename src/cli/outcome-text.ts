/** How outcomes read in text, shared by `trace` and `which`. */
import { findChain, isTableName, nftStepText, type Dump, type Family } from '../core/index.js';
import type { Outcome, PathStep } from '../core/trace/index.js';

/** 1 -> "100%", 0.5 -> "50%", 1/3 -> "33.33%". */
export function percent(p: number): string {
  const v = p * 100;
  if (Number.isInteger(v)) return `${v}%`;
  const s = v >= 1 ? v.toFixed(2) : v.toPrecision(3);
  return `${s.includes('.') ? s.replace(/\.?0+$/, '') : s}%`;
}

/** "ACCEPT, DNAT to 10.64.2.4:80 (KUBE-SEP-…), masqueraded" */
export function outcomeHeadline(o: Outcome): string {
  const parts: string[] = [o.verdict];
  if (o.dnat) parts.push(`DNAT to ${o.dnat}${o.endpointChain ? ` (${o.endpointChain})` : ''}`);
  // For a dropped packet, "not masqueraded" and "no DNAT" are noise.
  if (o.verdict === 'ACCEPT') {
    if (!o.dnat) parts.push('no DNAT');
    parts.push(o.masquerade ? 'masqueraded' : 'not masqueraded');
  } else if (o.masquerade) parts.push('masqueraded');
  if (o.delivery) parts.push(DELIVERY[o.delivery]);
  return parts.join(', ');
}

const DELIVERY: Readonly<Record<NonNullable<Outcome['delivery']>, string>> = {
  local: 'delivered to this node',
  forward: 'forwarded',
  output: 'sent out',
};

/** The rule a step took, as written in the dump (`-A CHAIN …`), or the chain's policy. */
export function stepText(dump: Dump, family: Family, step: PathStep): string {
  if (step.rule === null) return step.target;
  if (!isTableName(step.table)) return nftStepText(dump, step) ?? step.target;
  const chain = findChain(dump.ruleset, step.table, step.chain, family);
  const rule = chain?.rules[step.rule - 1];
  return rule ? rule.text : `-j ${step.target}`;
}

export function stepLabel(step: PathStep): string {
  const table = step.nftFamily === undefined ? step.table : `${step.nftFamily} ${step.table}`;
  const handle = step.handle === undefined || step.handle === null ? '' : ` handle ${step.handle}`;
  return step.rule === null ? `${table} ${step.chain}` : `${table} ${step.chain} #${step.rule}${handle}`;
}
