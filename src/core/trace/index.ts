export * from './types.js';
export { HOOK_TABLES, type Hook } from './hooks.js';
export { tracePacket, checkPacket, DEFAULT_SOURCE_PORT, DEFAULT_INTERFACE, DEFAULT_MAX_STEPS } from './tracer.js';
export { describeStep } from './describe.js';
export { pathTree, stepKey, type PathNode } from './path-tree.js';
export { familyOfIp, hostPort, parseIp, parsePortNumber, splitHostPort, type HostPortText } from './addr.js';
export { traceCases, caseCondition, type TraceCase } from './cases.js';
export { parseAssumption, decisionText } from './undecided.js';
export { undecidedMatches, type UndecidedMatch } from './undecided-matches.js';
