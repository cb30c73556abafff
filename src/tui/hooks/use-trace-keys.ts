/**
 * Trace screen keys. In the src/dst/assume fields letters type (":" too, for ports and IPv6), Tab moves
 * on, Enter traces; in the proto field any letter or space cycles; in the outcome and path
 * lists the usual list keys work and Enter opens the step's chain.
 */
import { handleGlobalKey, handleListKey } from '../keys/common.js';
import { editLine, isCtrlC, movementOf, type KeyPress } from '../keys/keypress.js';
import { isProto } from '../state/commands.js';
import { stepChainRef } from '../model/explorer-data.js';
import { moveCursor, resolveCursor } from '../state/list-window.js';
import { traceRows, traceView } from '../model/views.js';
import { current, type TraceForm } from '../state.js';
import type { Store } from '../state.js';
import type { ScreenProps } from './screen-props.js';
import { useKeys } from './use-keys.js';

export interface TracePages {
  readonly outcomes: number;
  readonly path: number;
}

function handleFieldKey(k: KeyPress, store: Store, form: TraceForm): void {
  const { dispatch } = store;
  if (isCtrlC(k)) return dispatch({ type: 'quit' });
  if (k.name === 'escape') return dispatch({ type: 'back' });
  if (k.name === 'tab') return dispatch({ type: 'traceFocus', backwards: k.shift });
  if (k.name === 'down') return dispatch({ type: 'traceFocus' });
  if (k.name === 'up') return dispatch({ type: 'traceFocus', backwards: true });
  if (k.name === 'return') return dispatch({ type: 'traceSubmit' });
  if (form.focus === 'proto') {
    const lower = k.char.toLowerCase();
    const picked = ['tcp', 'udp', 'sctp'].find((p) => p.startsWith(lower) && lower !== '');
    if (picked && isProto(picked)) return dispatch({ type: 'traceProto', proto: picked });
    if (k.char === ' ' || k.name === 'left' || k.name === 'right') return dispatch({ type: 'traceProto' });
    return;
  }
  const field = form.focus === 'src' ? 'src' : form.focus === 'assume' ? 'assume' : 'dst';
  const text = editLine(form[field], k);
  if (text !== null) dispatch({ type: 'traceEdit', field, text });
}

/**
 * The outcome list and the selected outcome's path move as one list: j past the last outcome
 * goes on into the path, k above its first step comes back, G reaches the last step. So every
 * step is one list key away, whichever list has the keyboard. True when `k` was a movement.
 */
function moveThrough(k: KeyPress, store: Store, focus: 'outcomes' | 'path', outcomeCount: number, outcomeCursor: number, steps: number, pages: TracePages): boolean {
  const movement = movementOf(k);
  if (movement === null || outcomeCount + steps === 0) return false;
  const frame = current(store.get());
  const from = focus === 'outcomes' ? outcomeCursor : outcomeCount + resolveCursor(frame.path, steps, String);
  const page = focus === 'outcomes' ? pages.outcomes : pages.path;
  let to = moveCursor(from, movement, outcomeCount + steps, page);
  // Paging down from an outcome stops at the path's first step, not somewhere inside it.
  if (focus === 'outcomes' && movement === 'pageDown' && to > outcomeCount) to = Math.min(outcomeCount, outcomeCount + steps - 1);
  if (to < outcomeCount) {
    if (focus !== 'outcomes') store.dispatch({ type: 'traceFocus', focus: 'outcomes' });
    store.dispatch({ type: 'select', index: to, key: String(to), page: pages.outcomes, count: outcomeCount });
  } else {
    if (focus !== 'path') store.dispatch({ type: 'traceFocus', focus: 'path' });
    store.dispatch({ type: 'select', list: 'path', index: to - outcomeCount, key: String(to - outcomeCount), page: pages.path, count: steps });
  }
  return true;
}

export function useTraceKeys({ data, store, active }: ScreenProps, pages: TracePages): void {
  useKeys(
    'trace',
    (k) => {
      const state = store.get();
      const frame = current(state);
      if (frame.screen.kind !== 'trace') return;
      const form = frame.screen.form;
      if (form.focus === 'src' || form.focus === 'dst' || form.focus === 'proto' || form.focus === 'assume') return handleFieldKey(k, store, form);
      if (state.input === null && k.name === 'tab') return store.dispatch({ type: 'traceFocus', backwards: k.shift });
      const view = traceView(data, form.submitted);
      const outcomes = traceRows(view, frame.filter);
      const outcomeCursor = resolveCursor(frame.main, outcomes.length, String);
      const steps = outcomes[outcomeCursor]?.outcome?.path.length ?? 0;
      if (state.input === null && moveThrough(k, store, form.focus, outcomes.length, outcomeCursor, steps, pages)) return;
      if (form.focus === 'outcomes') {
        const handled = handleListKey(k, store, {
          count: outcomes.length,
          keyAt: String,
          page: pages.outcomes,
          onEnter: () => store.dispatch({ type: 'traceFocus', focus: 'path' }),
        });
        if (!handled && k.char === 'e' && !k.ctrl) store.dispatch({ type: 'traceFocus', focus: 'dst' });
        if (!handled && k.char === 'f' && !k.ctrl) store.dispatch({ type: 'tracePresets', open: true });
        return;
      }
      const outcome = outcomes[resolveCursor(frame.main, outcomes.length, String)]?.outcome;
      const path = outcome?.path ?? [];
      const handled = handleListKey(k, store, {
        list: 'path',
        count: path.length,
        keyAt: (i) => String(i),
        page: pages.path,
        filterable: false,
        onEnter: (cursor) => {
          const step = path[cursor]!;
          const ref = stepChainRef(step, view.result?.packet.family ?? 'ipv4');
          if (!ref || !data.chain(ref)) return store.dispatch({ type: 'message', text: `${step.chain} is not in this dump`, error: true });
          const rule = step.rule ?? data.chain(ref)!.rules.length;
          store.dispatch({ type: 'open', screen: { kind: 'chain', ref }, cursor: Math.max(0, rule - 1), key: step.rule === null ? null : String(rule) });
        },
      });
      if (handled || handleGlobalKey(k, store, false) || k.ctrl) return;
      if (k.char === 'e') store.dispatch({ type: 'traceFocus', focus: 'dst' });
      if (k.char === 'f') store.dispatch({ type: 'tracePresets', open: true });
    },
    active,
  );
}

/** While the sources menu is open (ink-select-input takes ↑/↓, j/k, digits and Enter): Esc closes it, Ctrl-C quits. */
export function usePresetsKeys(store: Store, active: boolean): void {
  useKeys(
    'presets',
    (k) => {
      if (isCtrlC(k)) store.dispatch({ type: 'quit' });
      else if (k.name === 'escape' || k.char === 'q') store.dispatch({ type: 'tracePresets', open: false });
    },
    active,
  );
}
