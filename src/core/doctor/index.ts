export { diagnose, ruleFindings, unknownMatchFindings, counterFindings, counterFindingsAt, sortFindings, countBySeverity } from './doctor.js';
export { connectionFindings, SKEW_MIN_CONNECTIONS, SKEW_MIN_EXCESS, SKEW_MAX_CHANCE } from './connection-findings.js';
export * from './types.js';
export { dropRules, type DropRule } from './rule-findings.js';
