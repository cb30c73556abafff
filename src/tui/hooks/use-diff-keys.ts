/** Diff screen keys: Enter opens the service or chain when the snapshot on screen has it. */
import { handleListKey } from '../keys/common.js';
import type { ExplorerData } from '../model/explorer-data.js';
import type { DiffRow } from '../model/diff-view.js';
import type { Action } from '../state.js';
import type { ScreenProps } from './screen-props.js';
import { useScreenKeys } from './use-keys.js';

export function useDiffKeys({ data, store, active }: ScreenProps, rows: readonly DiffRow[], page: number): void {
  useScreenKeys('diff', store, active, (k) => {
    handleListKey(k, store, {
      count: rows.length,
      keyAt: (i) => rows[i]!.key,
      page,
      filterable: false,
      onEnter: (cursor) => store.dispatch(openDiffRow(data, rows[cursor]!)),
    });
  });
}

/** Where Enter on `row` goes: its service or chain on screen, else a message saying it is only in the file. */
export function openDiffRow(data: ExplorerData, row: DiffRow): Action {
  if (row.service && data.findService(row.service.family, row.service.id)) {
    return { type: 'open', screen: { kind: 'service', family: row.service.family, id: row.service.id } };
  }
  if (row.chain && data.chain(row.chain)) return { type: 'open', screen: { kind: 'chain', ref: row.chain } };
  return { type: 'message', text: `${row.label} is only in the file: nothing on screen to open` };
}
