/** Hooks screen keys: Enter opens the hook's chain. */
import { handleListKey } from '../keys/common.js';
import { hooksView } from '../model/views.js';
import type { ScreenProps } from './screen-props.js';
import { useScreenKeys } from './use-keys.js';

export function useHooksKeys({ data, store, active }: ScreenProps, page: number): void {
  useScreenKeys('hooks', store, active, (k, frame) => {
    const rows = hooksView(data, frame.filter);
    handleListKey(k, store, {
      count: rows.length,
      keyAt: (i) => rows[i]!.key,
      page,
      onEnter: (cursor) => store.dispatch({ type: 'open', screen: { kind: 'chain', ref: rows[cursor]!.ref } }),
    });
  });
}
