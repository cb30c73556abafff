export * from './types.js';
export { parseConntrack, parseConntrackSteps } from './parse.js';
export {
  attributeConnections,
  attributeConnectionsSteps,
  stateOf,
  NODE_PORT_ANY_ADDRESS_ASSUMPTION,
  type AttributionOptions,
  type ConnectionReport,
  type EndpointConnections,
  type ServiceConnections,
} from './attribute.js';
export { canonicalIp } from './address.js';
export { countConnections, type ConnectionCount, type CountOptions } from './count.js';
