/** conns and doctor: the conntrack table counted against the model, its bad lines reported as warnings. */
import type { ConnectionCount, KubeModel } from '../../core/index.js';
import { countConntrackText } from '../../sources/conntrack.js';
import { reportDiagnostics } from '../diagnostics.js';
import type { Output } from '../io.js';
import type { ConntrackInput } from './context.js';

export function liveConnections(conntrack: ConntrackInput, model: KubeModel, nodeAddresses: readonly string[], out: Output): ConnectionCount {
  const count = countConntrackText(conntrack.read, model, nodeAddresses);
  reportDiagnostics(conntrack.label, count.warnings, out);
  return count;
}
