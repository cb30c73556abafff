/**
 * The explorer on a dump with a match nobody can decide from it (-m set): the trace screen and
 * the service tree show cases as "if …" groups, and the trace form's assume field decides it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixturesDir } from '../helpers/paths.js';
import { current, initialState, reducer, traceForm, type Action, type State } from '../../src/tui/state.js';
import { KEY, lines, renderApp, textData, type Rendered } from './harness.js';

const BLOCKED =
  readFileSync(path.join(fixturesDir, 'seed-clusterip.save'), 'utf8') +
  ['*raw', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -m set --match-set BLOCKED src -j DROP', 'COMMIT', ''].join('\n');

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

async function open(): Promise<Rendered> {
  app = await renderApp({ data: textData(BLOCKED, 'blocked.save'), color: false }, { columns: 140, rows: 30 });
  await app.waitFor((f) => f.includes('service ports · sort'), 'the services screen');
  return app;
}

function run(state: State, ...actions: Action[]): State {
  return actions.reduce(reducer, state);
}

const form = (s: State) => {
  const screen = current(s).screen;
  if (screen.kind !== 'trace') throw new Error('not on the trace screen');
  return screen.form;
};

describe('trace form: assume field', () => {
  const traceState = () => run(initialState(), { type: 'open', screen: { kind: 'trace', form: traceForm() } });

  it('comes after proto in the Tab order and submits valid answers with the packet', () => {
    let s = run(traceState(), { type: 'traceEdit', field: 'dst', text: '10.32.0.10:53' }, { type: 'traceFocus' }, { type: 'traceFocus' });
    expect(form(s).focus).toBe('assume');
    s = run(s, { type: 'traceEdit', field: 'assume', text: 'match-set BLOCKED=false; physdev --physdev-is-in=TRUE' }, { type: 'traceSubmit' });
    expect(form(s)).toMatchObject({ focus: 'outcomes', error: null });
    expect(form(s).submitted?.assume).toEqual(['match-set BLOCKED=false', 'physdev --physdev-is-in=true']);
  });

  it('keeps a malformed answer on the form, the assume field focused, saying why', () => {
    const s = run(traceState(), { type: 'traceEdit', field: 'dst', text: '10.32.0.10:53' }, { type: 'traceEdit', field: 'assume', text: 'match-set BLOCKED=maybe' }, { type: 'traceSubmit' });
    expect(form(s)).toMatchObject({ focus: 'assume', submitted: null });
    expect(form(s).error).toMatch(/^assume: .*neither true nor false/);
  });
});

describe('explorer with an undecided match', () => {
  it('trace screen: one "if …" group per case; the assume field decides it', async () => {
    const a = await open();
    await a.press(':', ...'trace 10.32.0.10:53 203.0.113.10 udp', KEY.enter);
    let f = await a.waitFor((x) => x.includes('if set --match-set BLOCKED src is true:'));
    const l = lines(f);
    const at = l.findIndex((x) => x.includes('if set --match-set BLOCKED src is true:'));
    expect(l[at + 1]).toMatch(/100% DROP/);
    expect(l[at + 2]).toContain('if set --match-set BLOCKED src is false:');
    expect(l[at + 3]).toMatch(/50% ACCEPT/);
    expect(l[at + 4]).toMatch(/50% ACCEPT/);
    expect(f).toContain('3 outcomes in 2 cases');
    // e edits the destination; Tab twice to the assume field.
    await a.press('e', KEY.tab, KEY.tab, ...'match-set BLOCKED=false', KEY.enter);
    f = await a.waitFor((x) => !x.includes('if set --match-set') && x.includes('2 outcomes'));
    // Two outcome rows (the detail line under the path repeats the selected one).
    expect(lines(f).filter((x) => /^[> ] +50% ACCEPT/.test(x))).toHaveLength(2);
    expect(f).toContain('assumes raw PREROUTING rule 1: -m set --match-set BLOCKED src taken as false');
  });

  it('service tree: each entry point\'s paths per case, never summed across cases', async () => {
    const a = await open();
    await a.press('/kube-dns:dns ', KEY.enter);
    await a.waitFor((x) => x.includes('Services > kube-system/kube-dns:dns'));
    await a.press('o');
    const f = a.frame();
    expect(f).toContain('if set --match-set BLOCKED src is true:');
    expect(f).toContain('if set --match-set BLOCKED src is false:');
    expect(f).not.toMatch(/\b(1[5-9]\d|[2-9]\d\d)%/);
  });
});
