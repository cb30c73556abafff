export { summarizeDump, summarizeServices, type NodeMode, type NodeSummary } from './summary.js';
export { compareNodes, differingNodes, divergingOn, type NodeRead, type ServiceAcrossNodes } from './divergence.js';
