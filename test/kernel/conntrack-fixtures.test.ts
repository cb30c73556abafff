/**
 * The committed conntrack fixtures are what this kernel and conntrack-tools print now:
 * fixtures/build-conntrack.sh run again (in a namespace of its own, into a temporary directory)
 * gives tables that parse without a warning to the same entries, timeouts aside (they count down).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConntrack, type ConntrackEntry } from '../../src/core/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { kernelGate } from './netns.js';

const gate = kernelGate();

/** An entry as the fixture and the fresh capture must agree on: everything but its timeout and line. */
const essence = (e: ConntrackEntry) => JSON.stringify({ ...e, timeout: null, line: 0 });

describe.skipIf(gate.skip)(gate.title('conntrack fixtures against the kernel'), () => {
  const out = mkdtempSync(path.join(tmpdir(), 'kc-ct-fixtures-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('fixtures/build-conntrack.sh gives the committed tables again, in every form', () => {
    gate.assertAvailable();
    execFileSync(path.join(fixturesDir, 'build-conntrack.sh'), [], { env: { ...process.env, KC_CONNTRACK_OUT: out }, stdio: 'pipe', timeout: 120_000 });
    for (const name of ['seed-nodeport-cluster', 'dual-stack']) {
      for (const form of ['plain', 'extended', 'proc']) {
        const file = `conntrack/${name}.${form}.txt`;
        const committed = parseConntrack(readFileSync(path.join(fixturesDir, file), 'utf8'), file);
        const fresh = parseConntrack(readFileSync(path.join(out, file), 'utf8'), file);
        expect(fresh.warnings, file).toEqual([]);
        expect(fresh.entries.map(essence).sort(), file).toEqual(committed.entries.map(essence).sort());
        expect(fresh.reportedCount, file).toBe(committed.reportedCount);
      }
    }
  });
});
