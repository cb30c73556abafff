/**
 * Matches the tracer cannot decide, once per kind (`-m physdev`, `-m set`, …) with where they
 * are. Today "cannot decide" is what compile.ts records as not modelled; the tracer's unknowns
 * work (issue 12 section 2) may rewire this one function to what it exposes.
 */
import { liveTables } from '../parse/live-tables.js';
import { chainRows } from '../parse/rule.js';
import type { Rule, Ruleset } from '../parse/types.js';
import { compileRule } from '../trace/compile.js';
import { finding, rulePlace } from './place.js';
import type { Finding } from './types.js';

/** How many places a finding lists before it says "and N more". */
const PLACES_SHOWN = 5;

export function unknownMatches(ruleset: Ruleset): Finding[] {
  const byKind = new Map<string, { rules: Rule[]; text: string }>();
  for (const table of liveTables(ruleset)) {
    for (const chain of table.chains) {
      const rows = chainRows(chain);
      for (let i = 0; i < rows.size; i++) {
        const rule = rows.ruleAt(i);
        for (const text of compileRule(rule).unknowns) {
          const kind = unknownKind(text);
          let entry = byKind.get(kind);
          if (entry === undefined) byKind.set(kind, (entry = { rules: [], text }));
          if (entry.rules.at(-1) !== rule) entry.rules.push(rule);
        }
      }
    }
  }
  const out: Finding[] = [];
  for (const [kind, { rules, text }] of byKind) {
    const places = rules.slice(0, PLACES_SHOWN).map((r) => `${r.table} ${r.chain} rule ${r.index}`);
    const more = rules.length > PLACES_SHOWN ? ` and ${rules.length - PLACES_SHOWN} more` : '';
    out.push(
      finding('unknown-match', 'info', rulePlace(rules[0]!), {
        service: null,
        message: `${kind} is not modelled by the tracer (e.g. ${text}), in ${places.join(', ')}${more}: trace shows what depends on it as an assumption`,
        hint: 'check such rules by hand against the node (ipset list, bridge setup, …); the counters show whether they match',
      }),
    );
  }
  return out;
}

/** "-m set --match-set X src" -> "-m set"; a generic option -> its name. */
function unknownKind(text: string): string {
  const words = text.split(' ');
  if (words[0] === '!') words.shift();
  return words[0] === '-m' ? `-m ${words[1] ?? ''}` : (words[0] ?? text);
}
