/** Set screen keys: Enter follows an element's verdict into its chain. */
import { handleListKey } from '../keys/common.js';
import { setView } from '../model/views.js';
import type { ScreenProps } from './screen-props.js';
import { useScreenKeys } from './use-keys.js';

export function useSetKeys({ data, store, active }: ScreenProps, page: number): void {
  useScreenKeys('set', store, active, (k, frame) => {
    if (frame.screen.kind !== 'set') return;
    const rows = setView(data, frame.screen.ref, frame.filter);
    handleListKey(k, store, {
      count: rows.length,
      keyAt: (i) => rows[i]!.key,
      page,
      onEnter: (cursor) => {
        const row = rows[cursor]!;
        if (row.into) store.dispatch({ type: 'open', screen: { kind: 'chain', ref: row.into } });
        else store.dispatch({ type: 'message', text: row.element.data === null ? 'a set element: no verdict to follow' : 'this element\'s verdict names no chain' });
      },
    });
  });
}
