/**
 * The explorer's navigation state and its reducer: which screens are stacked, where each list's
 * selection is, the open filter or command line, the trace form. Pure, so every key path can be
 * tested without a terminal. Data (the ruleset, the model) is not in here: a new snapshot
 * replaces the data and the state keeps pointing at the same rows by key.
 */
import { PROTOCOLS, type Family, type Protocol, type TableName } from '../core/parse/index.js';
import { parseAssumption } from '../core/trace/index.js';
import { didYouMean } from '../core/index.js';
import { completeCommand, parseCommand, parseHostPort, isAddress, type CompletionSource } from './state/commands.js';
import { moveCursor, scrollInto, START, type ListPos, type Movement } from './state/list-window.js';

export type ServiceSort = 'id' | 'packets' | 'rate' | 'endpoints' | 'conns';
export type RuleSort = 'order' | 'packets' | 'rate';
export const RULE_SORTS: readonly RuleSort[] = ['order', 'packets', 'rate'];
export const SERVICE_SORTS: readonly ServiceSort[] = ['id', 'packets', 'rate', 'endpoints', 'conns'];
/** The sorts `s` cycles through: by connections only while a conntrack source is given. */
export function serviceSorts(conntrack: boolean): readonly ServiceSort[] {
  return conntrack ? SERVICE_SORTS : SERVICE_SORTS.filter((s) => s !== 'conns');
}

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
  /** `f`: the menu of sources (a pod, the node, outside) is open and has the keyboard. */
  readonly presets?: boolean;
}

export type Screen =
  | { readonly kind: 'services' }
  | { readonly kind: 'hooks' }
  /** What `doctor` finds, most severe first. */
  | { readonly kind: 'problems' }
  /** `:top`: the rules that counted, across every chain, busiest first. */
  | { readonly kind: 'top' }
  | { readonly kind: 'chain'; readonly ref: ChainRef }
  /** An nftables set or map: its elements, Enter following a verdict. */
  | { readonly kind: 'set'; readonly ref: SetRef }
  | { readonly kind: 'service'; readonly family: Family; readonly id: string }
  | { readonly kind: 'trace'; readonly form: TraceForm }
  /** `:diff FILE`: FILE against the snapshot on screen; `run` tells one `:diff` from the next (each reads the file again). */
  | { readonly kind: 'diff'; readonly path: string; readonly run: number }
  | { readonly kind: 'help' };

export type ListName = 'main' | 'path';

export interface Frame {
  readonly screen: Screen;
  readonly main: ListPos;
  /** The trace screen's second list (the selected outcome's path). */
  readonly path: ListPos;
  readonly filter: string;
  readonly sort: ServiceSort;
  /** The service screen's entry points whose trees are open (their row keys). */
  readonly expanded?: readonly string[];
  /** The chain screen's order (`s`): as the kernel runs them, or busiest first. */
  readonly ruleSort?: RuleSort;
}

export interface InputLine {
  readonly kind: 'filter' | 'command';
  readonly text: string;
  /** The filter before the line opened, restored by Esc. */
  readonly saved: string;
  /** The `:` line's completions of its last word after Tab (the palette); [] when none is shown. */
  readonly choices?: readonly string[];
  /** The completion picked (Tab, ↓, ↑ move it), -1 before the first pick. */
  readonly choice?: number;
  /** The text before the word being completed: a pick is `base + choices[choice]`. */
  readonly base?: string;
  /** Up/Down walk the command history: the entry shown, null when editing a new line. */
  readonly historyAt?: number | null;
  /** What was typed before Up went into the history, given back by Down past the newest. */
  readonly draft?: string;
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
  /** `:` commands run this session, oldest first (Up/Down on the `:` line). */
  readonly history: readonly string[];
  /** How many times the refresh key was pressed: the live source reads again at each. */
  readonly refreshRequests: number;
}

/** What the reducer needs to know about the data to run a command. */
export interface CommandEnv extends CompletionSource {
  /** The chain called `name` (in `table` when given), preferring nat, then filter. */
  resolveChain(name: string, table: TableName | null): ChainRef | null;
  /** `:set NAME`: the first nft table holding a set or map of that name. */
  resolveSet(name: string): SetRef | null;
  /** The service port with exactly this id (`:svc ID` opens it). */
  resolveService(id: string): { readonly family: Family; readonly id: string } | null;
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
  /** Tab on the `:` line: complete the last word, or pick the next completion (previous with `backwards`). */
  | { readonly type: 'commandComplete'; readonly env: CompletionSource; readonly backwards?: boolean }
  /** Up/Down on the `:` line: the previous or next completion when the palette shows, else the history. */
  | { readonly type: 'commandHistory'; readonly older: boolean }
  /** `conns`: the sort by connections is one of the cycle (a conntrack source is given). */
  | { readonly type: 'sort'; readonly conns?: boolean }
  /** Enter on an entry point: open or close its tree. */
  | { readonly type: 'toggleExpand'; readonly key: string }
  /** `o`: open every entry point's tree (`keys`), or close them all when all are open. */
  | { readonly type: 'toggleExpandAll'; readonly keys: readonly string[] }
  | { readonly type: 'toggleRaw' }
  | { readonly type: 'togglePause' }
  /** `R`: read the live source now. */
  | { readonly type: 'refreshNow' }
  /** `s` on a chain or the top list: rule order, packets, rate. */
  | { readonly type: 'ruleSort' }
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
  | { readonly type: 'traceSubmit' }
  /** `f` on the trace screen opens the sources menu; a pick (src) or Esc (no src) closes it. */
  | { readonly type: 'tracePresets'; readonly open: boolean; readonly src?: string };

export function frame(screen: Screen, filter = ''): Frame {
  return { screen, main: START, path: START, filter, sort: 'id' };
}

export function initialState(screen: Screen = { kind: 'services' }): State {
  return { stack: [frame(screen)], input: null, raw: false, paused: false, message: null, quit: false, history: [], refreshRequests: 0 };
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
      const input: InputLine = { kind: state.input.kind, saved: state.input.saved, text: action.text };
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
      const text = state.input.text.trim();
      const history = text === '' || state.history[state.history.length - 1] === text ? state.history : [...state.history, text].slice(-HISTORY_MAX);
      return runCommand({ ...state, input: null, history }, text, action.env);
    }
    case 'commandComplete': {
      const input = state.input;
      if (input?.kind !== 'command') return state;
      const choices = input.choices ?? [];
      if (choices.length > 0) return pickChoice(state, input, action.backwards ? -1 : 1);
      const c = completeCommand(input.text, action.env);
      if (c.choices.length === 0) return { ...state, message: { text: `no completion for "${input.text.trim() || ':'}"`, error: false } };
      if (c.choices.length === 1) return { ...state, message: null, input: { kind: 'command', saved: '', text: c.text } };
      return { ...state, message: null, input: { kind: 'command', saved: '', text: c.text, base: c.base, choices: c.choices, choice: -1 } };
    }
    case 'commandHistory': {
      const input = state.input;
      if (input?.kind !== 'command') return state;
      if ((input.choices ?? []).length > 0) return pickChoice(state, input, action.older ? -1 : 1);
      const n = state.history.length;
      const at = input.historyAt ?? null;
      if (action.older) {
        if (n === 0) return state;
        const next = at === null ? n - 1 : Math.max(0, at - 1);
        return { ...state, input: { kind: 'command', saved: '', text: state.history[next]!, historyAt: next, draft: at === null ? input.text : input.draft ?? '' } };
      }
      if (at === null) return state;
      if (at + 1 >= n) return { ...state, input: { kind: 'command', saved: '', text: input.draft ?? '' } };
      return { ...state, input: { ...input, text: state.history[at + 1]!, historyAt: at + 1 } };
    }
    case 'sort':
      return updateTop(state, (f) => {
        const sorts = serviceSorts(action.conns === true);
        const i = sorts.indexOf(f.sort);
        return { ...f, sort: sorts[(i + 1) % sorts.length]! };
      });
    case 'toggleExpand':
      return updateTop(state, (f) => {
        const open = f.expanded ?? [];
        return { ...f, expanded: open.includes(action.key) ? open.filter((k) => k !== action.key) : [...open, action.key] };
      });
    case 'toggleExpandAll':
      return updateTop(state, (f) => {
        const open = f.expanded ?? [];
        return { ...f, expanded: action.keys.every((k) => open.includes(k)) ? [] : [...action.keys] };
      });
    case 'toggleRaw':
      return { ...state, raw: !state.raw };
    case 'togglePause':
      return { ...state, paused: !state.paused };
    case 'refreshNow':
      return { ...state, refreshRequests: state.refreshRequests + 1 };
    case 'ruleSort':
      return updateTop(state, (f) => {
        const i = RULE_SORTS.indexOf(f.ruleSort ?? 'order');
        return { ...f, ruleSort: RULE_SORTS[(i + 1) % RULE_SORTS.length]! };
      });
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
    case 'tracePresets': {
      const opened = updateForm(state, (form) => ({ ...form, presets: action.open }));
      if (action.open || action.src === undefined) return opened;
      // A source picked: trace from it at once.
      return reducer(updateForm(opened, (form) => ({ ...form, src: action.src! })), { type: 'traceSubmit' });
    }
    case 'traceSubmit': {
      const next = updateForm(state, submitTrace);
      // A new packet: its outcomes start from the first one.
      const form = current(next).screen.kind === 'trace' ? (current(next).screen as { form: TraceForm }).form : null;
      if (!form?.submitted) return next;
      return updateTop(next, (f) => ({ ...f, main: START, path: START }));
    }
  }
}

/** How many `:` commands the history keeps. */
const HISTORY_MAX = 100;

/** The next (`step` 1) or previous (-1) completion, put in place of the word being completed. */
function pickChoice(state: State, input: InputLine, step: number): State {
  const choices = input.choices ?? [];
  const at = input.choice ?? -1;
  const next = at === -1 ? (step > 0 ? 0 : choices.length - 1) : (at + step + choices.length) % choices.length;
  return { ...state, input: { ...input, choice: next, text: (input.base ?? '') + choices[next]! } };
}

function runCommand(state: State, text: string, env: CommandEnv): State {
  const parsed = parseCommand(text);
  if (!parsed.ok) return { ...state, message: { text: parsed.error, error: true } };
  const c = parsed.command;
  switch (c.kind) {
    case 'services': {
      const listed = reducer(state, { type: 'root', screen: { kind: 'services' }, filter: c.filter });
      // `:svc default/nginx` (as Tab completes it) opens the service, over the list filtered to it.
      const service = c.filter === '' ? null : env.resolveService(c.filter);
      return service ? reducer(listed, { type: 'open', screen: { kind: 'service', family: service.family, id: service.id } }) : listed;
    }
    case 'hooks':
      return reducer(state, { type: 'root', screen: { kind: 'hooks' } });
    case 'problems':
      return reducer(state, { type: 'root', screen: { kind: 'problems' } });
    case 'top':
      return reducer(state, { type: 'root', screen: { kind: 'top' } });
    case 'chain': {
      // `:chain kube-sep-kfr23…`: chain names are case-sensitive, but one that differs only in case is surely meant.
      const exact = env.resolveChain(c.name, c.table);
      const sameLetters = exact ? null : env.chainNames().filter((n) => n.toLowerCase() === c.name.toLowerCase());
      const ref = exact ?? (sameLetters?.length === 1 ? env.resolveChain(sameLetters[0]!, c.table) : null);
      if (!ref) {
        const where = c.table ? ` in table ${c.table}` : '';
        return { ...state, message: { text: `no chain ${c.name}${where}${didYouMean(c.name, env.chainNames())}`, error: true } };
      }
      return reducer(state, { type: 'open', screen: { kind: 'chain', ref } });
    }
    case 'set': {
      const ref = env.resolveSet(c.name);
      if (!ref) return { ...state, message: { text: `no set or map ${c.name}`, error: true } };
      return reducer(state, { type: 'open', screen: { kind: 'set', ref } });
    }
    case 'trace':
      return reducer(state, { type: 'open', screen: { kind: 'trace', form: traceForm(c.dst, c.src, c.proto) } });
    case 'diff':
      return reducer(state, { type: 'open', screen: { kind: 'diff', path: c.path, run: state.history.length } });
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
