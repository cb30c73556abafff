/** Help screen keys: scroll; Esc, ? or q leave (q quits, as everywhere). */
import { handleListKey } from '../keys/common.js';
import type { ScreenProps } from './screen-props.js';
import { useKeys } from './use-keys.js';

export function useHelpKeys({ store, active }: ScreenProps, count: number, page: number): void {
  useKeys('help', (k) => void handleListKey(k, store, { count, keyAt: String, page, filterable: false }), active);
}
