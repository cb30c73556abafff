/**
 * The `:` line owns the keyboard while open: letters edit it, Tab completes (and picks among the
 * palette's completions), Up/Down walk the completions or the history, Enter runs, Esc closes.
 */
import { handleCommandKey } from '../keys/common.js';
import type { ExplorerData } from '../model/explorer-data.js';
import type { Store } from '../state.js';
import { useKeys } from './use-keys.js';

export function useCommandKeys(store: Store, data: ExplorerData, isActive: boolean): void {
  useKeys('command', (k) => handleCommandKey(k, store, () => store.dispatch({ type: 'inputSubmit', env: data }), data), isActive);
}
