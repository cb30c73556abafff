/**
 * A ruleset reduced to what the four readings of one kernel state must agree on: tables, chains
 * (base hook/priority/policy), rules (statement objects and text), sets (type/flags) and
 * elements as a multiset (named sets list in hash order). Lines are dropped: each form has its own.
 */
import type { NftRuleset } from '../../src/core/index.js';

export interface CanonicalOptions {
  /** Keep handles (nft -a and nft -j show them; the plain listing and the input do not). */
  readonly handles: boolean;
  /** Keep table and chain comments (nft 1.0.6's JSON omits them). */
  readonly objectComments: boolean;
  /** Keep whether an element shows `expires` (the input form cannot: the kernel starts the clock when it loads). */
  readonly expires?: boolean;
}

export interface CanonicalRuleset {
  tables: Array<{
    family: string;
    name: string;
    handle: number | null;
    comment: string | null;
    chains: Array<{
      name: string;
      handle: number | null;
      base: unknown;
      comment: string | null;
      rules: Array<{ handle: number | null; expr: unknown; comment: string | null; text: string }>;
    }>;
    sets: Array<{
      name: string;
      kind: string;
      handle: number | null;
      keyType: readonly string[];
      dataType: string | null;
      flags: string[];
      timeout: number | null;
      comment: string | null;
      elements: string[];
    }>;
  }>;
}

export function canonical(r: NftRuleset, o: CanonicalOptions): CanonicalRuleset {
  const h = (n: number | null): number | null => (o.handles ? n : null);
  return {
    tables: r.tables.map((t) => ({
      family: t.family,
      name: t.name,
      handle: h(t.handle),
      comment: o.objectComments ? t.comment : null,
      chains: t.chains.map((c) => ({
        name: c.name,
        handle: h(c.handle),
        base: c.base,
        comment: o.objectComments ? c.comment : null,
        rules: c.rules.map((rule) => ({ handle: h(rule.handle), expr: rule.expr, comment: rule.comment, text: rule.text })),
      })),
      sets: t.sets.map((s) => ({
        name: s.name,
        kind: s.kind,
        handle: h(s.handle),
        keyType: s.keyType,
        dataType: s.dataType,
        // nft -j 1.0.6 lists a dynamic set's flags without "dynamic" (the text form says dynamic,timeout)
        flags: s.flags.filter((f) => f !== 'dynamic').sort(),
        timeout: s.timeout,
        comment: s.comment,
        elements: s.elements
          // expires counts down between two listings (and JSON rounds it to seconds): compare its presence
          .map((e) => JSON.stringify({ key: e.key, data: e.data, comment: e.comment, timeout: e.timeout, expires: o.expires === false || e.expires === null ? null : 'set' }))
          .sort(),
      })),
    })),
  };
}
