/** Services screen keys: Enter opens the service, `s` cycles the sort (by connections too with conntrack), `t` traces its cluster IP. */
import { handleListKey } from '../keys/common.js';
import { servicesView } from '../model/views.js';
import { traceForm } from '../state.js';
import type { ScreenProps } from './screen-props.js';
import { resolveCursor } from '../state/list-window.js';
import { hostPort } from '../../core/index.js';
import { useScreenKeys } from './use-keys.js';

export function useServicesKeys({ data, store, active, connections = null }: ScreenProps, page: number): void {
  useScreenKeys('services', store, active, (k, frame) => {
    const rows = servicesView(data, frame.filter, frame.sort, connections);
    const keyAt = (i: number) => rows[i]!.key;
    const open = (cursor: number) => {
      const s = rows[cursor]!.service;
      store.dispatch({ type: 'open', screen: { kind: 'service', family: s.family, id: s.id } });
    };
    if (handleListKey(k, store, { count: rows.length, keyAt, page, onEnter: open })) return;
    if (k.ctrl || k.name !== null) return;
    if (k.char === 's') store.dispatch({ type: 'sort', conns: connections !== null });
    if (k.char === 't') {
      const row = rows[resolveCursor(frame.main, rows.length, keyAt)];
      const s = row?.service;
      const dst = s?.clusterIP && s.port !== null ? hostPort(s.clusterIP, s.port) : '';
      store.dispatch({ type: 'open', screen: { kind: 'trace', form: traceForm(dst, '', s?.protocol ?? 'tcp') } });
    }
  });
}
