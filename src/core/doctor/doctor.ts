/** `doctor`: every finding over the whole dump, most severe first. */
import type { Ruleset } from '../parse/types.js';
import type { KubeModel } from '../kube/types.js';
import { bothBackends, chainFindings } from './chain-findings.js';
import { countingDrops, countingDropsAt, duplicateFrontends, missingDport, type DropRule } from './rule-findings.js';
import { serviceFindings } from './service-findings.js';
import { FINDING_KINDS, SEVERITIES, type DoctorContext, type Finding } from './types.js';
import { unknownMatches } from './unknown-match.js';

export function diagnose(ruleset: Ruleset, model: KubeModel, context: DoctorContext): Finding[] {
  return sortFindings([...ruleFindings(ruleset, model, context), ...unknownMatchFindings(ruleset), ...counterFindings(ruleset, model)]);
}

/**
 * The findings that follow from the rules alone, not their counters, but for unknown-match: a
 * live explorer whose new snapshot holds the same rules keeps these and redoes only
 * counterFindings.
 */
export function ruleFindings(ruleset: Ruleset, model: KubeModel, context: DoctorContext): Finding[] {
  return [
    ...serviceFindings(ruleset, model, context),
    ...chainFindings(ruleset, model),
    ...missingDport(ruleset),
    ...bothBackends(ruleset),
    ...duplicateFrontends(ruleset),
  ];
}

/**
 * unknown-match: every rule compiled as the tracer would (~1 s at 10k services). Info only, so
 * the explorer's count of errors and warnings does without it until the Problems screen opens.
 */
export function unknownMatchFindings(ruleset: Ruleset): Finding[] {
  return unknownMatches(ruleset);
}

/** The findings that follow from the counters: drops that counted. */
export function counterFindings(ruleset: Ruleset, model: KubeModel): Finding[] {
  return countingDrops(ruleset, model);
}

/**
 * counterFindings with the drop rules found already (dropRules, of a ruleset holding the same
 * rules, the model holding the same services): a live refresh reads only their counters.
 */
export function counterFindingsAt(ruleset: Ruleset, model: KubeModel, drops: readonly DropRule[]): Finding[] {
  return countingDropsAt(ruleset, model, drops);
}

/** Most severe first; within a severity, by kind, then in the order found (dump order, model order). */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind));
}

/** How many findings of each severity: the status line's count, the exit code's reason. */
export function countBySeverity(findings: readonly Finding[]): Record<'error' | 'warning' | 'info', number> {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
