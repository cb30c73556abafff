/** Chain screen keys: Enter follows a jump into its chain; `r` (global) shows rules as written. */
import { handleListKey } from '../keys/common.js';
import { chainView } from '../model/views.js';
import type { ScreenProps } from './screen-props.js';
import { useScreenKeys } from './use-keys.js';

export function useChainKeys({ data, store, active }: ScreenProps, page: number): void {
  useScreenKeys('chain', store, active, (k, frame) => {
    const rows = chainView(data, frame.screen.ref, frame.filter, frame.ruleSort);
    const handled = handleListKey(k, store, {
      count: rows.length,
      keyAt: (i) => rows[i]!.key,
      page,
      onEnter: (cursor) => {
        const row = rows[cursor]!;
        if (row.into) store.dispatch({ type: 'open', screen: { kind: 'chain', ref: row.into } });
        else if (row.intoSet) store.dispatch({ type: 'open', screen: { kind: 'set', ref: row.intoSet } });
        else store.dispatch({ type: 'message', text: row.rule.target ? `${row.rule.target} is a target, not a chain` : 'this rule only counts (no target)' });
      },
    });
    if (!handled && !k.ctrl && k.name === null && k.char === 's') store.dispatch({ type: 'ruleSort' });
  });
}
