/**
 * The full reader alone (scanConntrack with no quick reader), entries copied: what
 * parseConntrack must equal now that QuickLine reads its common lines.
 */
import { scanConntrack } from '../../src/core/conntrack/parse.js';
import type { ConntrackEntry, ConntrackTable } from '../../src/core/index.js';

export function parseInFull(text: string, file: string): ConntrackTable {
  const entries: ConntrackEntry[] = [];
  const { warnings, reportedCount } = scanConntrack(text, file, (e) => entries.push({ ...e, original: { ...e.original }, reply: { ...e.reply } }));
  return { entries, warnings, reportedCount };
}
