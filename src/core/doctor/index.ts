export { diagnose, ruleFindings, unknownMatchFindings, counterFindings, sortFindings, countBySeverity } from './doctor.js';
export * from './types.js';
