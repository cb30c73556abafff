export * from './types.js';
export { diffSnapshots } from './diff.js';
export { serviceRate, endpointRate, compareRates } from './rates.js';
export { matchRules, SnapshotIndex } from './identity.js';
