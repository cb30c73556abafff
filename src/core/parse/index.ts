export * from './types.js';
export { parseIptablesSave, EXTENSION_TARGETS, MAX_LINE_LENGTH, type ParseOptions } from './parser.js';
export { serializeRuleset, ruleLine, chainLine, ruleArgsText, quoteSaveString } from './serialize.js';
export { tokenize, type Token } from './tokenize.js';
export * from './query.js';
export { liveTables, liveTable } from './live-tables.js';
export { counterpartChains, holdSameRules } from './same.js';
export { chainRows, tableRows, type ChainRows, type TableRows } from './rule.js';
export { ASSUMED_LINE, KUBE_PROXY_JUMPS } from './kube-jumps.js';
