/**
 * Keys every screen shares, as plain functions of a KeyPress and the newest state: quit, help,
 * the `:` and `/` lines, back, raw toggle, list movement, and Enter (which the screen defines).
 */
import { resolveCursor } from '../state/list-window.js';
import { current, type ListName } from '../state.js';
import type { Action, Store } from '../state.js';
import type { CompletionSource } from '../state/commands.js';
import { editLine, filteringMovementOf, isBack, isCtrlC, movementOf, type KeyPress } from './keypress.js';

export interface ListKeys {
  readonly count: number;
  readonly keyAt: (index: number) => string;
  /** Visible rows of the list. */
  readonly page: number;
  readonly list?: ListName;
  /** Enter on the selected row (also Enter in the filter line). */
  readonly onEnter?: (cursor: number) => void;
  /** `/` opens a filter on this screen. */
  readonly filterable?: boolean;
}

/** What the global character keys do (`/` only where the screen is filterable). */
const GLOBAL_CHARS: ReadonlyMap<string, Action> = new Map<string, Action>([
  ['q', { type: 'quit' }],
  ['?', { type: 'help' }],
  [':', { type: 'openInput', kind: 'command' }],
  ['/', { type: 'openInput', kind: 'filter' }],
  ['r', { type: 'toggleRaw' }],
  ['p', { type: 'togglePause' }],
  ['R', { type: 'refreshNow' }],
]);

/** Ctrl-C, q, ?, :, /, r, p and Esc/Backspace; true when the key was one of them. */
export function handleGlobalKey(k: KeyPress, store: Store, filterable: boolean): boolean {
  const { dispatch } = store;
  if (isCtrlC(k)) {
    dispatch({ type: 'quit' });
    return true;
  }
  if (isBack(k) || (k.char === 'h' && !k.ctrl)) {
    dispatch({ type: 'back' });
    return true;
  }
  if (k.ctrl || k.name !== null || (k.char === '/' && !filterable)) return false;
  const action = GLOBAL_CHARS.get(k.char);
  if (action === undefined) return false;
  dispatch(action);
  return true;
}

/** The open filter line: letters edit it, Esc restores it, Tab keeps it; Enter keeps it and opens the selection. */
function handleFilterLine(k: KeyPress, store: Store, list: ListKeys, cursor: number): boolean {
  const input = store.get().input!;
  if (isCtrlC(k)) {
    store.dispatch({ type: 'quit' });
    return true;
  }
  if (k.name === 'escape') {
    store.dispatch({ type: 'inputCancel' });
    return true;
  }
  if (k.name === 'tab') {
    store.dispatch({ type: 'inputKeep' });
    return true;
  }
  if (k.name === 'return') {
    store.dispatch({ type: 'inputKeep' });
    if (list.count > 0) list.onEnter?.(cursor);
    return true;
  }
  const movement = filteringMovementOf(k);
  if (movement) {
    store.dispatch({ type: 'move', list: list.list, movement, from: cursor, count: list.count, page: list.page, keyAt: list.keyAt });
    return true;
  }
  const text = editLine(input.text, k);
  if (text !== null) store.dispatch({ type: 'inputChange', text });
  return true;
}

/**
 * Everything a list screen does with a key except its own letters: returns true when handled.
 * Reads the newest state, so each key of a pasted run sees what the previous one did.
 */
export function handleListKey(k: KeyPress, store: Store, list: ListKeys): boolean {
  const state = store.get();
  const pos = current(state)[list.list ?? 'main'];
  const cursor = resolveCursor(pos, list.count, list.keyAt);
  // Pin the selection to its row's key before a key can change the list (filter, sort, clear):
  // the same row stays selected in the new list.
  if (list.count > 0 && pos.key !== list.keyAt(cursor)) {
    store.dispatch({ type: 'select', list: list.list, index: cursor, key: list.keyAt(cursor), page: list.page, count: list.count });
  }
  if (state.input?.kind === 'filter') return handleFilterLine(k, store, list, cursor);
  if (handleGlobalKey(k, store, list.filterable ?? true)) return true;
  const movement = movementOf(k);
  if (movement) {
    store.dispatch({ type: 'move', list: list.list, movement, from: cursor, count: list.count, page: list.page, keyAt: list.keyAt });
    return true;
  }
  if (k.name === 'return' || k.name === 'right' || (k.char === 'l' && !k.ctrl)) {
    if (list.count > 0) list.onEnter?.(cursor);
    return true;
  }
  return false;
}

/** The `:` line: letters edit it, Tab completes, Up/Down walk completions or history, Esc closes it, Enter runs it. */
export function handleCommandKey(k: KeyPress, store: Store, run: () => void, completion: CompletionSource): void {
  const input = store.get().input;
  if (!input) return;
  if (isCtrlC(k)) store.dispatch({ type: 'quit' });
  else if (k.name === 'escape') store.dispatch({ type: 'inputCancel' });
  else if (k.name === 'return') run();
  else if (k.name === 'tab') store.dispatch({ type: 'commandComplete', env: completion, backwards: k.shift });
  else if (k.name === 'up' || k.name === 'down') store.dispatch({ type: 'commandHistory', older: k.name === 'up' });
  else if ((k.name === 'backspace' || k.name === 'delete') && input.text === '') store.dispatch({ type: 'inputCancel' });
  else {
    const text = editLine(input.text, k);
    if (text !== null) store.dispatch({ type: 'inputChange', text });
  }
}
