/** Plain-text helpers for views and the CLI: one line per path step. */
import type { PathStep } from './types.js';

/**
 * "nat KUBE-SERVICES rule 3 -> KUBE-SVC-X (default/nginx cluster IP)", "filter FORWARD policy ACCEPT";
 * nftables steps name the family and, for a map lookup, the element that matched:
 * "ip kube-proxy services rule 1: 10.96.0.10 . tcp . 53 : goto service-…".
 */
export function describeStep(step: PathStep): string {
  const table = step.nftFamily !== undefined ? `${step.nftFamily} ${step.table}` : step.table;
  if (step.rule === null) return `${table} ${step.chain} ${step.target}`;
  const comment = step.comment ? ` (${step.comment})` : '';
  if (step.element !== undefined) return `${table} ${step.chain} rule ${step.rule}: ${step.element}${comment}`;
  const arrow = step.goto ? '-g' : '->';
  return `${table} ${step.chain} rule ${step.rule} ${arrow} ${step.target}${comment}`;
}
