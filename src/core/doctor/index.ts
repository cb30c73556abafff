export { diagnose, ruleFindings, counterFindings, sortFindings, countBySeverity } from './doctor.js';
export * from './types.js';
