/** One change's differences as lines for people, shared by `diff`'s text and the explorer's `:diff`. */
import type { ChainChange, ServiceChange } from './types.js';

/** A field's value: "-" for null, lists comma-separated, "(none)" for an empty one. */
export function diffValueText(value: unknown): string {
  if (value === null) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(',');
  return String(value);
}

/** "+ endpoint 10.0.0.1:80", "- endpoint …", "nodePort: 30783 -> 31000". */
export function serviceChangeLines(c: ServiceChange): string[] {
  return [
    ...c.endpointsAdded.map((e) => `+ endpoint ${e}`),
    ...c.endpointsRemoved.map((e) => `- endpoint ${e}`),
    ...Object.entries(c.fields).map(([name, [old, now]]) => `${name}: ${diffValueText(old)} -> ${diffValueText(now)}`),
  ];
}

/** "policy: DROP -> ACCEPT", "+ RULE", "- RULE", and a word when only the order changed. */
export function chainChangeLines(c: ChainChange): string[] {
  return [
    ...(c.policy ? [`policy: ${diffValueText(c.policy[0])} -> ${diffValueText(c.policy[1])}`] : []),
    ...c.rulesAdded.map((r) => `+ ${r}`),
    ...c.rulesRemoved.map((r) => `- ${r}`),
    ...(c.reordered ? ['the same rules in another order'] : []),
  ];
}
