export { diagnose, countBySeverity } from './doctor.js';
export * from './types.js';
