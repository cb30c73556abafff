/** Plain-text helpers for views and the CLI: one line per path step. */
import type { PathStep } from './types.js';

/** "nat KUBE-SERVICES rule 3 -> KUBE-SVC-X (default/nginx cluster IP)", "filter FORWARD policy ACCEPT". */
export function describeStep(step: PathStep): string {
  if (step.rule === null) return `${step.table} ${step.chain} ${step.target}`;
  const arrow = step.goto ? '-g' : '->';
  const comment = step.comment ? ` (${step.comment})` : '';
  return `${step.table} ${step.chain} rule ${step.rule} ${arrow} ${step.target}${comment}`;
}
