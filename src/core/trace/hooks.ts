/** The netfilter hooks in the order a packet meets them, and in each the tables in the order the kernel consults them. */
import type { TableName } from '../parse/types.js';

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** One table's built-in chain at one hook. */
export type Stage = readonly [TableName, Hook];

export const HOOK_TABLES: readonly (readonly [Hook, readonly TableName[]])[] = [
  ['PREROUTING', ['raw', 'mangle', 'nat']],
  ['INPUT', ['mangle', 'filter', 'security', 'nat']],
  ['FORWARD', ['mangle', 'filter', 'security']],
  ['OUTPUT', ['raw', 'mangle', 'nat', 'filter', 'security']],
  ['POSTROUTING', ['mangle', 'nat']],
];

/** The stages of `hook`, in the kernel's order, leaving out the tables in `except`. */
export function hookStages(hook: Hook, except: readonly TableName[] = []): Stage[] {
  const tables = HOOK_TABLES.find(([h]) => h === hook)![1];
  return tables.filter((t) => !except.includes(t)).map((t) => [t, hook] as const);
}
