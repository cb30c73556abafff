/** Service detail keys: Enter opens the selected step's chain at its rule; `t` traces the selected entry point. */
import { handleListKey } from '../keys/common.js';
import { hostPort } from '../../core/index.js';
import { resolveCursor } from '../state/list-window.js';
import { serviceTreeView } from '../model/views.js';
import { elementKey } from '../model/service-tree.js';
import { traceForm } from '../state.js';
import type { ScreenProps } from './screen-props.js';
import { useScreenKeys } from './use-keys.js';

export function useServiceKeys({ data, store, active }: ScreenProps, page: number): void {
  useScreenKeys('service', store, active, (k, frame) => {
    const service = data.findService(frame.screen.family, frame.screen.id);
    const rows = service ? serviceTreeView(data, service, frame.filter) : [];
    const keyAt = (i: number) => rows[i]!.key;
    const handled = handleListKey(k, store, {
      count: rows.length,
      keyAt,
      page,
      onEnter: (cursor) => {
        const row = rows[cursor]!;
        if (row.openSet) {
          // nftables: the map element that leads into the service, selected in its map.
          const { ref, element } = row.openSet;
          const index = data.set(ref)?.elements.findIndex((e) => elementKey(e) === element) ?? -1;
          store.dispatch({ type: 'open', screen: { kind: 'set', ref }, cursor: Math.max(0, index), key: element });
          return;
        }
        const open = row.open;
        if (!open) return;
        if (!data.chain(open.ref)) {
          store.dispatch({ type: 'message', text: `${open.ref.chain} is not in this dump`, error: true });
          return;
        }
        const rule = open.rule ?? 1;
        store.dispatch({ type: 'open', screen: { kind: 'chain', ref: open.ref }, cursor: rule - 1, key: open.rule === null ? null : String(rule) });
      },
    });
    if (handled || k.ctrl || k.name !== null || k.char !== 't' || !service) return;
    const row = rows[resolveCursor(frame.main, rows.length, keyAt)];
    const request = row?.request;
    const form = request
      ? traceForm(hostPort(request.dst, request.dport), request.src, request.proto)
      : traceForm(service.clusterIP && service.port !== null ? hostPort(service.clusterIP, service.port) : '', '', service.protocol);
    store.dispatch({ type: 'open', screen: { kind: 'trace', form } });
  });
}
