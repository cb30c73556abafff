/**
 * Trace screen keys. In the src/dst/assume fields letters type (":" too, for ports and IPv6), Tab moves
 * on, Enter traces; in the proto field any letter or space cycles; in the outcome and path
 * lists the usual list keys work and Enter opens the step's chain.
 */
import { handleGlobalKey, handleListKey } from '../keys/common.js';
import { editLine, isCtrlC, type KeyPress } from '../keys/keypress.js';
import { isProto } from '../state/commands.js';
import { stepChainRef } from '../model/explorer-data.js';
import { resolveCursor } from '../state/list-window.js';
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
      if (form.focus === 'outcomes') {
        const handled = handleListKey(k, store, {
          count: outcomes.length,
          keyAt: String,
          page: pages.outcomes,
          onEnter: () => store.dispatch({ type: 'traceFocus', focus: 'path' }),
        });
        if (!handled && k.char === 'e' && !k.ctrl) store.dispatch({ type: 'traceFocus', focus: 'dst' });
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
      if (!handled && !handleGlobalKey(k, store, false) && k.char === 'e') store.dispatch({ type: 'traceFocus', focus: 'dst' });
    },
    active,
  );
}
