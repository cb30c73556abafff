/**
 * The explorer's navigation state and its reducer: which screens are stacked, where each list's
 * selection is, the open filter or command line, the trace form. Pure, so every key path can be
 * tested without a terminal. Data (the ruleset, the model) is not in here: a new snapshot
 * replaces the data and the state keeps pointing at the same rows by key.
 */
import { PROTOCOLS, type Family, type Protocol, type TableName } from '../core/parse/index.js';
import { parseAssumption } from '../core/trace/index.js';
import { parseCommand, parseHostPort, isAddress } from './state/commands.js';
import { moveCursor, scrollInto, START, type ListPos, type Movement } from './state/list-window.js';

export type ServiceSort = 'id' | 'packets' | 'rate' | 'endpoints';
export const SERVICE_SORTS: readonly ServiceSort[] = ['id', 'packets', 'rate', 'endpoints'];

export interface ChainRef {
  readonly family: Family;
  readonly table: TableName;
  readonly chain: string;
}

/** An nftables set or map, by its table's label ("ip kube-proxy") and name. */
export interface SetRef {
  readonly table: string;
  readonly name: string;
}

export type TraceField = 'src' | 'dst' | 'proto' | 'assume';
export type TraceFocus = TraceField | 'outcomes' | 'path';
export const TRACE_FOCUS_ORDER: readonly TraceFocus[] = ['src', 'dst', 'proto', 'assume', 'outcomes', 'path'];

/** A packet the trace screen was asked to follow (validated). */
export interface TraceRequest {
  readonly src: string;
  readonly dst: string;
  readonly dport: number;
  readonly proto: Protocol;
  /** The user's answers for matches the dump cannot decide, as `--assume` takes them (validated). */
  readonly assume?: readonly string[];
}

export interface TraceForm {
  readonly src: string;
  readonly dst: string;
  readonly proto: Protocol;
  /** `EXPR=true|false` answers separated by ";", as `trace --assume` takes each. */
  readonly assume: string;
  readonly focus: TraceFocus;
  readonly submitted: TraceRequest | null;
  readonly error: string | null;
}

export type Screen =
  | { readonly kind: 'services' }
  | { readonly kind: 'hooks' }
  /** What `doctor` finds, most severe first. */
  | { readonly kind: 'problems' }
  | { readonly kind: 'chain'; readonly ref: ChainRef }
  /** An nftables set or map: its elements, Enter following a verdict. */
  | { readonly kind: 'set'; readonly ref: SetRef }
  | { readonly kind: 'service'; readonly family: Family; readonly id: string }
  | { readonly kind: 'trace'; readonly form: TraceForm }
  | { readonly kind: 'help' };

export type ListName = 'main' | 'path';

export interface Frame {
  readonly screen: Screen;
  readonly main: ListPos;
  /** The trace screen's second list (the selected outcome's path). */
  readonly path: ListPos;
  readonly filter: string;
  readonly sort: ServiceSort;
}

export interface InputLine {
  readonly kind: 'filter' | 'command';
  readonly text: string;
  /** The filter before the line opened, restored by Esc. */
  readonly saved: string;
}

export interface State {
  /** Never empty; the last frame is on screen. */
  readonly stack: readonly Frame[];
  readonly input: InputLine | null;
  /** `r`: rules as written instead of readable summaries. */
  readonly raw: boolean;
  /** `p`: live updates paused (the explorer tells the poller). */
  readonly paused: boolean;
  readonly message: { readonly text: string; readonly error: boolean } | null;
  readonly quit: boolean;
}

/** What the reducer needs to know about the data to run a command. */
export interface CommandEnv {
  /** The chain called `name` (in `table` when given), preferring nat, then filter. */
  resolveChain(name: string, table: TableName | null): ChainRef | null;
  /** `:set NAME`: the first nft table holding a set or map of that name. */
  resolveSet(name: string): SetRef | null;
}

export type Action =
  | {
      readonly type: 'move';
      readonly list?: ListName;
      readonly movement: Movement;
      /** The selection as the view resolved it against the current rows. */
      readonly from: number;
      readonly count: number;
      /** Visible rows of the list (for paging and scrolling). */
      readonly page: number;
      readonly keyAt: (index: number) => string;
    }
  | { readonly type: 'select'; readonly list?: ListName; readonly index: number; readonly key: string | null; readonly page: number; readonly count: number }
  | { readonly type: 'open'; readonly screen: Screen; readonly cursor?: number; readonly key?: string | null }
  | { readonly type: 'root'; readonly screen: Screen; readonly filter?: string }
  | { readonly type: 'back' }
  | { readonly type: 'openInput'; readonly kind: 'filter' | 'command' }
  | { readonly type: 'inputChange'; readonly text: string }
  | { readonly type: 'inputCancel' }
  /** Close the filter line keeping the filter (Enter, Tab). */
  | { readonly type: 'inputKeep' }
  | { readonly type: 'inputSubmit'; readonly env: CommandEnv }
  | { readonly type: 'sort' }
  | { readonly type: 'toggleRaw' }
  | { readonly type: 'togglePause' }
  /**
   * A new snapshot is about to replace the data: each frame whose selection is known only by
   * position gets the key of the row it shows now (`keys[i]` for `stack[i]`, null: leave it), so
   * the same row stays selected when rows move.
   */
  | { readonly type: 'pin'; readonly keys: readonly (string | null)[] }
  | { readonly type: 'help' }
  | { readonly type: 'quit' }
  | { readonly type: 'message'; readonly text: string; readonly error?: boolean }
  | { readonly type: 'traceEdit'; readonly field: 'src' | 'dst' | 'assume'; readonly text: string }
  | { readonly type: 'traceProto'; readonly proto?: Protocol }
  | { readonly type: 'traceFocus'; readonly focus?: TraceFocus; readonly backwards?: boolean }
  | { readonly type: 'traceSubmit' };

export function frame(screen: Screen, filter = ''): Frame {
  return { screen, main: START, path: START, filter, sort: 'id' };
}

export function initialState(screen: Screen = { kind: 'services' }): State {
  return { stack: [frame(screen)], input: null, raw: false, paused: false, message: null, quit: false };
}

export function current(state: State): Frame {
  return state.stack[state.stack.length - 1]!;
}

/** A trace form, submitted right away when the destination is complete. */
export function traceForm(dst = '', src = '', proto: Protocol = 'tcp'): TraceForm {
  const form: TraceForm = { src, dst, proto, assume: '', focus: 'dst', submitted: null, error: null };
  return dst ? submitTrace(form) : form;
}

/** The state with a synchronous read (hooks/use-store.ts): what key handlers get. */
export interface Store {
  readonly state: State;
  get(): State;
  dispatch(action: Action): void;
}

export function reducer(state: State, action: Action): State {
  switch (action.type) {
    case 'move': {
      const list = action.list ?? 'main';
      const cursor = moveCursor(action.from, action.movement, action.count, action.page);
      const pos = current(state)[list];
      const top = scrollInto(pos.top, cursor, action.page, action.count);
      const key = action.count > 0 ? action.keyAt(cursor) : null;
      return updateTop(state, (f) => ({ ...f, [list]: { cursor, top, key } }));
    }
    case 'select': {
      const list = action.list ?? 'main';
      const pos = current(state)[list];
      const top = scrollInto(pos.top, action.index, action.page, action.count);
      return updateTop(state, (f) => ({ ...f, [list]: { cursor: action.index, top, key: action.key } }));
    }
    case 'open': {
      const next: Frame = { ...frame(action.screen), main: { cursor: action.cursor ?? 0, top: 0, key: action.key ?? null } };
      // The line (filter or command) that led here is done.
      return { ...state, stack: [...state.stack, next], input: null, message: null };
    }
    case 'root':
      return { ...state, stack: [frame(action.screen, action.filter ?? '')], input: null, message: null };
    case 'back': {
      const top = current(state);
      // Esc clears an active filter before leaving the screen (k9s); the selection stays put.
      if (top.filter !== '') return updateTop({ ...state, message: null }, (f) => ({ ...f, filter: '' }));
      if (state.stack.length === 1) return state.message ? { ...state, message: null } : state;
      return { ...state, stack: state.stack.slice(0, -1), message: null };
    }
    case 'openInput': {
      const saved = action.kind === 'filter' ? current(state).filter : '';
      return { ...state, input: { kind: action.kind, text: saved, saved }, message: null };
    }
    case 'inputChange': {
      if (!state.input) return state;
      const input = { ...state.input, text: action.text };
      if (input.kind === 'command') return { ...state, input };
      // The filter applies as it is typed; the selection goes to the best match.
      return updateTop({ ...state, input }, (f) => ({ ...f, filter: action.text, main: START }));
    }
    case 'inputCancel': {
      if (!state.input) return state;
      if (state.input.kind === 'command') return { ...state, input: null };
      const saved = state.input.saved;
      return updateTop({ ...state, input: null }, (f) => (f.filter === saved ? f : { ...f, filter: saved, main: START }));
    }
    case 'inputKeep':
      return state.input ? { ...state, input: null } : state;
    case 'inputSubmit': {
      if (!state.input) return state;
      if (state.input.kind === 'filter') return { ...state, input: null };
      return runCommand({ ...state, input: null }, state.input.text, action.env);
    }
    case 'sort':
      return updateTop(state, (f) => {
        const i = SERVICE_SORTS.indexOf(f.sort);
        return { ...f, sort: SERVICE_SORTS[(i + 1) % SERVICE_SORTS.length]! };
      });
    case 'toggleRaw':
      return { ...state, raw: !state.raw };
    case 'togglePause':
      return { ...state, paused: !state.paused };
    case 'pin': {
      let changed = false;
      const stack = state.stack.map((f, i) => {
        const key = action.keys[i] ?? null;
        if (key === null || f.main.key !== null) return f;
        changed = true;
        return { ...f, main: { ...f.main, key } };
      });
      return changed ? { ...state, stack } : state;
    }
    case 'help':
      if (current(state).screen.kind === 'help') return reducer(state, { type: 'back' });
      return reducer(state, { type: 'open', screen: { kind: 'help' } });
    case 'quit':
      return { ...state, quit: true };
    case 'message':
      return { ...state, message: { text: action.text, error: action.error ?? false } };
    case 'traceEdit':
      return updateForm(state, (form) => ({ ...form, [action.field]: action.text, error: null }));
    case 'traceProto':
      return updateForm(state, (form) => {
        const next = action.proto ?? PROTOCOLS[(PROTOCOLS.indexOf(form.proto) + 1) % PROTOCOLS.length]!;
        return { ...form, proto: next };
      });
    case 'traceFocus':
      return updateForm(state, (form) => {
        if (action.focus) return { ...form, focus: action.focus };
        const i = TRACE_FOCUS_ORDER.indexOf(form.focus);
        const n = TRACE_FOCUS_ORDER.length;
        return { ...form, focus: TRACE_FOCUS_ORDER[(i + (action.backwards ? n - 1 : 1)) % n]! };
      });
    case 'traceSubmit': {
      const next = updateForm(state, submitTrace);
      // A new packet: its outcomes start from the first one.
      const form = current(next).screen.kind === 'trace' ? (current(next).screen as { form: TraceForm }).form : null;
      if (!form?.submitted) return next;
      return updateTop(next, (f) => ({ ...f, main: START, path: START }));
    }
  }
}

function runCommand(state: State, text: string, env: CommandEnv): State {
  const parsed = parseCommand(text);
  if (!parsed.ok) return { ...state, message: { text: parsed.error, error: true } };
  const c = parsed.command;
  switch (c.kind) {
    case 'services':
      return reducer(state, { type: 'root', screen: { kind: 'services' }, filter: c.filter });
    case 'hooks':
      return reducer(state, { type: 'root', screen: { kind: 'hooks' } });
    case 'problems':
      return reducer(state, { type: 'root', screen: { kind: 'problems' } });
    case 'chain': {
      const ref = env.resolveChain(c.name, c.table);
      if (!ref) return { ...state, message: { text: `no chain ${c.name}${c.table ? ` in table ${c.table}` : ''}`, error: true } };
      return reducer(state, { type: 'open', screen: { kind: 'chain', ref } });
    }
    case 'set': {
      const ref = env.resolveSet(c.name);
      if (!ref) return { ...state, message: { text: `no set or map ${c.name}`, error: true } };
      return reducer(state, { type: 'open', screen: { kind: 'set', ref } });
    }
    case 'trace':
      return reducer(state, { type: 'open', screen: { kind: 'trace', form: traceForm(c.dst, c.src, c.proto) } });
    case 'help':
      return reducer(state, { type: 'open', screen: { kind: 'help' } });
    case 'quit':
      return { ...state, quit: true };
  }
}

/** Validate the form; on success the packet is submitted and focus moves to the outcomes. */
export function submitTrace(form: TraceForm): TraceForm {
  const dst = parseHostPort(form.dst);
  if (!dst) return { ...form, error: `destination: expected IP:PORT, got "${form.dst}"`, focus: 'dst' };
  const src = form.src.trim();
  if (src !== '' && !isAddress(src)) return { ...form, error: `source: not an IP address: "${form.src}"`, focus: 'src' };
  const assume: string[] = [];
  for (const part of form.assume.split(';')) {
    if (part.trim() === '') continue;
    const a = parseAssumption(part.trim());
    if ('error' in a) return { ...form, error: `assume: ${a.error}`, focus: 'assume' };
    assume.push(a.text);
  }
  return {
    ...form,
    error: null,
    focus: 'outcomes',
    submitted: { src, dst: dst.address, dport: dst.port, proto: form.proto, ...(assume.length > 0 ? { assume } : {}) },
  };
}

function updateTop(state: State, update: (f: Frame) => Frame): State {
  const stack = state.stack.slice();
  stack[stack.length - 1] = update(stack[stack.length - 1]!);
  return { ...state, stack };
}

function updateForm(state: State, update: (form: TraceForm) => TraceForm): State {
  const f = current(state);
  if (f.screen.kind !== 'trace') return state;
  const form = update(f.screen.form);
  return updateTop(state, (fr) => ({ ...fr, screen: { kind: 'trace', form } }));
}
