/** nftables mode: the ruleset types and the reader of its three forms. */
export * from './types.js';
export * from './parse/index.js';
