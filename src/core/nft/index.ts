/** nftables mode: the ruleset types, the reader of its three forms, kube-proxy's model, the tracer and chain listings. */
export * from './types.js';
export * from './parse/index.js';
export { buildNftKubeModel, isKubeProxyTable } from './model/build.js';
export { nftNodeportAddresses, NODEPORT_IPS_ORIGIN } from './model/node-addresses.js';
export { traceNftPacket, hookChains, type NftHook, type HookChain } from './trace/tracer.js';
export { nftChainListing, nftChainReferences, nftRuleTarget, findNftChains, type NftChainListing, type NftRuleListing } from './listing.js';
export { verdictOf as nftVerdictOf, type NftVerdict } from './expr.js';
export { nftBaseChainTest } from './path.js';
export { parseServiceChainName, parseEndpointChainName, type NftServiceChainName } from './names.js';
