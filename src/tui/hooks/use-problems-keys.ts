/** Problems screen keys: Enter opens the finding's service, or its chain at the rule. */
import type { Finding } from '../../core/index.js';
import { handleListKey } from '../keys/common.js';
import type { ExplorerData } from '../model/explorer-data.js';
import { problemsView } from '../model/views.js';
import type { Action } from '../state.js';
import type { ScreenProps } from './screen-props.js';
import { useScreenKeys } from './use-keys.js';

/** Findings about a service as a whole open the service (skewed connections: its endpoint table's CONN); the others open where they live. */
const SERVICE_KINDS: ReadonlySet<Finding['kind']> = new Set(['no-endpoints', 'no-local-endpoints', 'source-ranges', 'skewed-connections']);

export function useProblemsKeys({ data, store, active, connections = null }: ScreenProps, page: number): void {
  useScreenKeys('problems', store, active, (k, frame) => {
    const rows = problemsView(data, frame.filter, connections);
    handleListKey(k, store, {
      count: rows.length,
      keyAt: (i) => rows[i]!.key,
      page,
      onEnter: (cursor) => store.dispatch(openFinding(data, rows[cursor]!.finding)),
    });
  });
}

/** What Enter on `f` does: open its service, else its chain with the rule selected, else say there is nowhere to go. */
export function openFinding(data: ExplorerData, f: Finding): Action {
  const service = f.service === null ? undefined : (['ipv4', 'ipv6'] as const).map((fam) => data.findService(f.family ?? fam, f.service!) ?? data.findService(fam, f.service!)).find((s) => s !== undefined);
  if (service !== undefined && (SERVICE_KINDS.has(f.kind) || f.table === null)) {
    return { type: 'open', screen: { kind: 'service', family: service.family, id: service.id } };
  }
  if (f.table !== null && f.chain !== null && f.family !== null) {
    const ref = { family: f.family, table: f.table, chain: f.chain };
    if (data.chain(ref)) return { type: 'open', screen: { kind: 'chain', ref }, cursor: f.rule === null ? 0 : f.rule - 1 };
  }
  return { type: 'message', text: `${f.kind}: about the whole dump, nothing to open` };
}
