/**
 * The core's face: everything outside src/core imports the core from here or from an area's
 * index.ts (parse, kube, trace, counters), never from the files behind them.
 */
export * from './parse/index.js';
export * from './kube/index.js';
export * from './trace/index.js';
export * from './counters/index.js';
export * from './nft/index.js';
export * from './listing.js';
export * from './entry-probes.js';
export * from './which.js';
export { escapeForTerminal, hasControlCharacters } from './escape.js';
export { finishSteps, type Steps } from './steps.js';
export * from './doctor/index.js';
export * from './conntrack/index.js';
export * from './dump.js';
export * from './nft-display.js';
export * from './nft/types.js';
export { editDistance, suggestions, didYouMean } from './suggest.js';
export * from './diff/index.js';
export * from './nodes/index.js';
