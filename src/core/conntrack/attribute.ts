/**
 * Which service port and endpoint each conntrack entry belongs to.
 *
 * An entry belongs to a service port and one of its endpoints when its original destination is a
 * frontend of the port (cluster IP:port, node IP:node port, external or load-balancer IP:port,
 * same protocol) and its reply source is one of the port's endpoints: the reply comes from the
 * endpoint the kernel DNATed to. It is masqueraded when the reply goes to another address than
 * the client's (the source was rewritten). Every other entry (ICMP, traffic not to a service, a
 * service address answered by no endpoint of it) is unmatched.
 *
 * Each entry costs two or three lookups: frontends and endpoints are indexed up front (FrontendIndex).
 */
import type { KubeModel } from '../kube/types.js';
import { finishSteps, type Steps } from '../steps.js';
import { FrontendIndex } from './frontend-index.js';
import type { AttributionOptions, ConnectionReport } from './report.js';
import type { ConntrackTable } from './types.js';

export {
  NODE_PORT_ANY_ADDRESS_ASSUMPTION,
  stateOf,
  type AttributionOptions,
  type ConnectionReport,
  type EndpointConnections,
  type ServiceConnections,
} from './report.js';

export function attributeConnections(model: KubeModel, table: ConntrackTable, opts: AttributionOptions): ConnectionReport {
  return finishSteps(attributeConnectionsSteps(model, table, opts, Infinity));
}

/** attributeConnections pausing after every `slice` entries (the explorer reads keys in between). */
export function* attributeConnectionsSteps(model: KubeModel, table: ConntrackTable, opts: AttributionOptions, slice: number): Steps<ConnectionReport> {
  const index = new FrontendIndex(model, opts.nodeAddresses);
  let sincePause = 0;
  for (const entry of table.entries) {
    index.count(entry);
    if (++sincePause === slice) {
      sincePause = 0;
      yield;
    }
  }
  return index.report();
}
