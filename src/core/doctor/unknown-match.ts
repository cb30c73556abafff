/**
 * Matches the tracer cannot decide from the dump, once per kind (`-m set`, `-m owner`, …) with
 * where they are, as the tracer itself lists them (trace/undecided-matches.ts). Those it decides
 * from the node context alone (a routed packet is not bridged) are listed too, with the decision,
 * since it rests on the node being as assumed.
 */
import type { Ruleset } from '../parse/types.js';
import { undecidedMatches, type UndecidedMatch } from '../trace/undecided-matches.js';
import { finding } from './place.js';
import type { Finding } from './types.js';

/** How many places a finding lists before it says "and N more". */
const PLACES_SHOWN = 5;

export function unknownMatches(ruleset: Ruleset): Finding[] {
  const byKind = new Map<string, UndecidedMatch[]>();
  for (const m of undecidedMatches(ruleset)) {
    const kind = m.module === null ? m.name : `-m ${m.module}`;
    let seen = byKind.get(kind);
    if (seen === undefined) byKind.set(kind, (seen = []));
    const last = seen.at(-1);
    // Once per rule: a rule may hold several undecided options of one module.
    if (last === undefined || last.family !== m.family || last.table !== m.table || last.chain !== m.chain || last.rule !== m.rule) seen.push(m);
  }
  const out: Finding[] = [];
  for (const [kind, matches] of byKind) {
    const first = matches[0]!;
    const places = matches.slice(0, PLACES_SHOWN).map((m) => `${m.table} ${m.chain} rule ${m.rule}`);
    const more = matches.length > PLACES_SHOWN ? ` and ${matches.length - PLACES_SHOWN} more` : '';
    const where = `in ${places.join(', ')}${more}`;
    const message =
      first.decidedBy === null
        ? `${kind} is not modelled by the tracer (e.g. ${first.written}), ${where}: trace shows what depends on it as separate cases`
        : `${kind} is decided from the node, not the dump (${first.decidedBy}; e.g. ${first.written}), ${where}`;
    out.push(
      finding('unknown-match', 'info', { family: first.family, table: first.table, chain: first.chain, rule: first.rule }, {
        service: null,
        message,
        hint: `check such rules by hand against the node (ipset list, bridge setup, …), and decide them for a trace with --assume '${first.name}=true|false'; the counters show whether they match`,
      }),
    );
  }
  return out;
}
