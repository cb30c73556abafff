/** Plain-text helpers for views and the CLI: one line per path step. */
import type { PathStep } from './types.js';

/** "nat KUBE-SERVICES rule 3 -> KUBE-SVC-X (default/nginx cluster IP)", "filter FORWARD policy ACCEPT". */
export function describeStep(step: PathStep): string {
  // nftables mode names the family with the table ("ip kube-proxy"): a ruleset may hold ip and ip6 tables of one name.
  const table = step.nftFamily === undefined ? step.table : `${step.nftFamily} ${step.table}`;
  if (step.rule === null) return `${table} ${step.chain} ${step.target}`;
  const arrow = step.goto ? (step.nftFamily === undefined ? '-g' : 'goto') : '->';
  const comment = step.comment ? ` (${step.comment})` : '';
  const element = step.element ? ` [${step.element}]` : '';
  return `${table} ${step.chain} rule ${step.rule}${element} ${arrow} ${step.target}${comment}`;
}
