export * from './types.js';
export { tracePacket, checkPacket, DEFAULT_SOURCE_PORT, DEFAULT_INTERFACE } from './tracer.js';
export { describeStep } from './describe.js';
