/** `doctor`: every finding over the whole dump, most severe first. */
import type { Ruleset } from '../parse/types.js';
import type { KubeModel } from '../kube/types.js';
import { bothBackends, chainFindings } from './chain-findings.js';
import { countingDrops, duplicateFrontends, missingDport } from './rule-findings.js';
import { serviceFindings } from './service-findings.js';
import { FINDING_KINDS, SEVERITIES, type DoctorContext, type Finding } from './types.js';
import { unknownMatches } from './unknown-match.js';

export function diagnose(ruleset: Ruleset, model: KubeModel, _context: DoctorContext): Finding[] {
  const findings = [
    ...serviceFindings(ruleset, model),
    ...countingDrops(ruleset, model),
    ...chainFindings(ruleset, model),
    ...missingDport(ruleset),
    ...bothBackends(ruleset),
    ...duplicateFrontends(ruleset),
    ...unknownMatches(ruleset),
  ];
  // Stable: within one severity and kind, the order found (dump order, model order).
  return findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind));
}

/** How many findings of each severity: the status line's count, the exit code's reason. */
export function countBySeverity(findings: readonly Finding[]): Record<'error' | 'warning' | 'info', number> {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
