/** Findings built from a place: the small constructors every finder shares. */
import type { Rule } from '../parse/types.js';
import type { Finding, FindingKind, Place, Severity } from './types.js';

export interface FindingText {
  readonly service: string | null;
  readonly message: string;
  readonly hint: string;
}

export function finding(kind: FindingKind, severity: Severity, place: Place | null, text: FindingText): Finding {
  return {
    kind,
    severity,
    service: text.service,
    table: place?.table ?? null,
    chain: place?.chain ?? null,
    rule: place?.rule ?? null,
    family: place?.family ?? null,
    message: text.message,
    hint: text.hint,
  };
}

export function rulePlace(rule: Rule): Place {
  return { family: rule.family, table: rule.table, chain: rule.chain, rule: rule.index };
}

/** "nat KUBE-SERVICES rule 3" (with "(ipv6)" in dual-stack dumps), how messages name a rule. */
export function whereText(place: Place, dualStack: boolean): string {
  const family = dualStack && place.family === 'ipv6' ? ' (ipv6)' : '';
  return place.rule === null ? `${place.table} ${place.chain}${family}` : `${place.table} ${place.chain} rule ${place.rule}${family}`;
}

/** "1 packet", "12 packets". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
