import { describe, expect, it } from 'vitest';
import { parseCommand, parseHostPort } from '../../src/tui/state/commands.js';
import { moveCursor, resolveCursor, scrollInto, type Movement } from '../../src/tui/state/list-window.js';
import { current, initialState, reducer, traceForm, type Action, type ChainRef, type CommandEnv, type State } from '../../src/tui/state.js';

const env: CommandEnv = {
  resolveChain: (name, table): ChainRef | null =>
    name === 'KUBE-SERVICES' ? { family: 'ipv4', table: table ?? 'nat', chain: name } : null,
  resolveSet: (name) => (name === 'service-ips' ? { table: 'ip kube-proxy', name } : null),
};

const keys = Array.from({ length: 100 }, (_, i) => `row${i}`);
const keyAt = (i: number) => keys[i]!;

function run(state: State, ...actions: Action[]): State {
  return actions.reduce(reducer, state);
}

const move = (movement: Movement, from: number, page = 10): Action => ({
  type: 'move',
  movement,
  from,
  count: keys.length,
  page,
  keyAt,
});

describe('list window', () => {
  it('moves within bounds and pages by the visible height', () => {
    expect(moveCursor(0, 'up', 100, 10)).toBe(0);
    expect(moveCursor(0, 'down', 100, 10)).toBe(1);
    expect(moveCursor(95, 'pageDown', 100, 10)).toBe(99);
    expect(moveCursor(5, 'pageUp', 100, 10)).toBe(0);
    expect(moveCursor(42, 'last', 100, 10)).toBe(99);
    expect(moveCursor(42, 'first', 100, 10)).toBe(0);
    expect(moveCursor(0, 'down', 0, 10)).toBe(0);
  });

  it('scrolls as little as possible to keep the cursor visible', () => {
    expect(scrollInto(0, 5, 10, 100)).toBe(0);
    expect(scrollInto(0, 10, 10, 100)).toBe(1);
    expect(scrollInto(50, 40, 10, 100)).toBe(40);
    expect(scrollInto(95, 99, 10, 100)).toBe(90);
    expect(scrollInto(7, 3, 10, 5)).toBe(0);
  });

  it('finds the selected row again by key when the list changed under it', () => {
    const now = ['c', 'a', 'b'];
    expect(resolveCursor({ cursor: 0, top: 0, key: 'b' }, 3, (i) => now[i]!)).toBe(2);
    expect(resolveCursor({ cursor: 7, top: 0, key: 'gone' }, 3, (i) => now[i]!)).toBe(2);
    expect(resolveCursor({ cursor: 1, top: 0, key: null }, 3, (i) => now[i]!)).toBe(1);
  });
});

describe('navigation', () => {
  it('starts on services and moves the selection with its key and window', () => {
    let s = initialState();
    expect(current(s).screen.kind).toBe('services');
    s = run(s, move('down', 0), move('pageDown', 1));
    expect(current(s).main).toEqual({ cursor: 11, top: 2, key: 'row11' });
    s = run(s, move('last', 11));
    expect(current(s).main).toEqual({ cursor: 99, top: 90, key: 'row99' });
  });

  it('opens a screen on top and comes back to the same row', () => {
    let s = run(initialState(), move('down', 0), move('down', 1), move('down', 2));
    s = run(s, { type: 'open', screen: { kind: 'service', family: 'ipv4', id: 'default/nginx' } });
    expect(s.stack).toHaveLength(2);
    expect(current(s).main.cursor).toBe(0);
    s = run(s, { type: 'open', screen: { kind: 'chain', ref: { family: 'ipv4', table: 'nat', chain: 'KUBE-SVC-X' } }, cursor: 4, key: '5' });
    expect(current(s).main).toEqual({ cursor: 4, top: 0, key: '5' });
    s = run(s, { type: 'back' }, { type: 'back' });
    expect(s.stack).toHaveLength(1);
    expect(current(s).main).toEqual({ cursor: 3, top: 0, key: 'row3' });
    // Back on the last screen stays.
    expect(run(s, { type: 'back' })).toBe(s);
  });

  it('the filter line filters as typed, Esc restores, Tab keeps, and Esc on the list clears before leaving', () => {
    let s = run(initialState(), { type: 'open', screen: { kind: 'hooks' } }, { type: 'openInput', kind: 'filter' });
    expect(s.input).toEqual({ kind: 'filter', text: '', saved: '' });
    s = run(s, { type: 'inputChange', text: 'nat' });
    expect(current(s).filter).toBe('nat');
    s = run(s, { type: 'inputCancel' });
    expect(s.input).toBeNull();
    expect(current(s).filter).toBe('');
    s = run(s, { type: 'openInput', kind: 'filter' }, { type: 'inputChange', text: 'filter' }, { type: 'inputKeep' });
    expect(current(s).filter).toBe('filter');
    expect(s.input).toBeNull();
    // Reopening starts from the kept filter; Esc brings it back.
    s = run(s, { type: 'openInput', kind: 'filter' }, { type: 'inputChange', text: 'filterx' }, { type: 'inputCancel' });
    expect(current(s).filter).toBe('filter');
    s = run(s, { type: 'back' });
    expect(current(s).screen.kind).toBe('hooks');
    expect(current(s).filter).toBe('');
    s = run(s, { type: 'back' });
    expect(current(s).screen.kind).toBe('services');
  });

  it('each screen keeps its own filter', () => {
    let s = run(initialState(), { type: 'openInput', kind: 'filter' }, { type: 'inputChange', text: 'dns' }, { type: 'inputKeep' });
    s = run(s, { type: 'open', screen: { kind: 'hooks' } });
    expect(current(s).filter).toBe('');
    s = run(s, { type: 'back' });
    expect(current(s).filter).toBe('dns');
  });

  it('s cycles the sort, r toggles raw rules, ? opens and closes help', () => {
    let s = run(initialState(), { type: 'sort' });
    expect(current(s).sort).toBe('packets');
    s = run(s, { type: 'sort' });
    expect(current(s).sort).toBe('rate');
    s = run(s, { type: 'sort' }, { type: 'sort' });
    expect(current(s).sort).toBe('id');
    expect(run(s, { type: 'toggleRaw' }).raw).toBe(true);
    s = run(s, { type: 'help' });
    expect(current(s).screen.kind).toBe('help');
    s = run(s, { type: 'help' });
    expect(current(s).screen.kind).toBe('services');
  });
});

describe('command line', () => {
  const submit = (text: string, state: State = initialState()) =>
    run(state, { type: 'openInput', kind: 'command' }, { type: 'inputChange', text }, { type: 'inputSubmit', env });

  it('runs :chain, :hooks, :svc FILTER, :trace and :q', () => {
    let s = submit('chain KUBE-SERVICES');
    expect(current(s).screen).toEqual({ kind: 'chain', ref: { family: 'ipv4', table: 'nat', chain: 'KUBE-SERVICES' } });
    expect(s.stack).toHaveLength(2);
    s = submit('hooks', s);
    expect(s.stack.map((f) => f.screen.kind)).toEqual(['hooks']);
    s = submit('svc nginx', s);
    expect(s.stack.map((f) => f.screen.kind)).toEqual(['services']);
    expect(current(s).filter).toBe('nginx');
    s = submit('trace 10.32.0.61:80', s);
    const screen = current(s).screen;
    expect(screen.kind === 'trace' && screen.form.submitted).toEqual({ src: '', dst: '10.32.0.61', dport: 80, proto: 'tcp' });
    expect(submit('q').quit).toBe(true);
  });

  it('reports what it cannot run, and Esc closes the line without running it', () => {
    expect(submit('chain NOPE').message).toEqual({ text: 'no chain NOPE', error: true });
    expect(submit('warp 9').message?.text).toMatch(/^unknown command :warp/);
    expect(submit('trace 10.0.0.1').message?.text).toMatch(/expected IP:PORT/);
    const s = run(initialState(), { type: 'openInput', kind: 'command' }, { type: 'inputChange', text: 'q' }, { type: 'inputCancel' });
    expect(s.quit).toBe(false);
    expect(s.input).toBeNull();
  });

  it('parses the commands and their forms', () => {
    expect(parseCommand(':chain nat/KUBE-SERVICES')).toEqual({ ok: true, command: { kind: 'chain', name: 'KUBE-SERVICES', table: 'nat' } });
    expect(parseCommand('chain KUBE-FORWARD filter')).toEqual({ ok: true, command: { kind: 'chain', name: 'KUBE-FORWARD', table: 'filter' } });
    expect(parseCommand('chain X bogus')).toEqual({ ok: false, error: 'unknown table bogus' });
    expect(parseCommand('trace [fd00::10]:53 udp fd00::1')).toEqual({ ok: true, command: { kind: 'trace', dst: '[fd00::10]:53', src: 'fd00::1', proto: 'udp' } });
    expect(parseCommand('trace 10.0.0.1:80 banana').ok).toBe(false);
    expect(parseCommand('quit')).toEqual({ ok: true, command: { kind: 'quit' } });
    expect(parseCommand('services')).toEqual({ ok: true, command: { kind: 'services', filter: '' } });
    expect(parseHostPort('10.0.0.1:65536')).toBeNull();
    expect(parseHostPort('300.0.0.1:80')).toBeNull();
    expect(parseHostPort('[fd00::1]:443')).toEqual({ address: 'fd00::1', port: 443 });
  });
});

describe('trace form', () => {
  const traceState = (form = traceForm()) => run(initialState(), { type: 'open', screen: { kind: 'trace', form } });
  const form = (s: State) => {
    const screen = current(s).screen;
    if (screen.kind !== 'trace') throw new Error('not on the trace screen');
    return screen.form;
  };

  it('edits fields, cycles focus and protocol, and submits a valid packet', () => {
    let s = traceState();
    expect(form(s).focus).toBe('dst');
    s = run(s, { type: 'traceEdit', field: 'dst', text: '10.32.0.10:53' }, { type: 'traceFocus' }, { type: 'traceProto' });
    expect(form(s)).toMatchObject({ focus: 'proto', proto: 'udp' });
    s = run(s, { type: 'traceFocus', backwards: true }, { type: 'traceFocus', backwards: true });
    expect(form(s).focus).toBe('src');
    s = run(s, { type: 'traceEdit', field: 'src', text: '10.64.1.3' }, { type: 'traceSubmit' });
    expect(form(s)).toMatchObject({ focus: 'outcomes', error: null, submitted: { src: '10.64.1.3', dst: '10.32.0.10', dport: 53, proto: 'udp' } });
  });

  it('keeps a bad packet on the form with the field to fix focused', () => {
    let s = run(traceState(), { type: 'traceEdit', field: 'dst', text: '10.32.0.10' }, { type: 'traceSubmit' });
    expect(form(s)).toMatchObject({ focus: 'dst', submitted: null });
    expect(form(s).error).toMatch(/destination/);
    s = run(s, { type: 'traceEdit', field: 'dst', text: '10.32.0.10:53' }, { type: 'traceEdit', field: 'src', text: 'nope' }, { type: 'traceSubmit' });
    expect(form(s)).toMatchObject({ focus: 'src', submitted: null });
  });
});
