/** The one "parse cleanly" of the tests: a dump that must parse without errors (warnings are allowed). */
import { expect } from 'vitest';
import { parseErrors, parseIptablesSave, type Ruleset } from '../../src/core/parse/index.js';

/** Parses `text`, failing with the parser's errors when there are any; `what` names the dump in the failure. */
export function parseCleanly(text: string, what = 'the dump'): Ruleset {
  const rs = parseIptablesSave(text);
  expect(parseErrors(rs), `parse errors in ${what}`).toEqual([]);
  return rs;
}
