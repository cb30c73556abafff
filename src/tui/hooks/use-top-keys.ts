/** `:top` keys: Enter opens the rule's chain with the rule selected. */
import { handleListKey } from '../keys/common.js';
import { topView } from '../model/views.js';
import type { ScreenProps } from './screen-props.js';
import { useScreenKeys } from './use-keys.js';

export function useTopKeys({ data, store, active }: ScreenProps, page: number): void {
  useScreenKeys('top', store, active, (k, frame) => {
    const rows = topView(data, frame.filter);
    handleListKey(k, store, {
      count: rows.length,
      keyAt: (i) => rows[i]!.key,
      page,
      onEnter: (cursor) => {
        const row = rows[cursor]!;
        store.dispatch({ type: 'open', screen: { kind: 'chain', ref: row.ref }, cursor: row.rule.index - 1 });
      },
    });
  });
}
