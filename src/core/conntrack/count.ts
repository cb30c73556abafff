/**
 * parseConntrack + attributeConnections in one pass, for callers that want the report and not the
 * entries (conns, doctor). The common line (IPv4, TCP/UDP/SCTP) is read straight into numbers by
 * QuickLine and counted on the index's numeric tables; every other line is read in full into one
 * reused entry and counted at once. A 250k-entry table makes no object per entry. Same warnings,
 * same report, same unmatched count as the two steps.
 */
import type { KubeModel } from '../kube/types.js';
import type { Diagnostic } from '../parse/types.js';
import { FrontendIndex } from './frontend-index.js';
import type { AttributionOptions, ConnectionReport } from './report.js';
import { scanConntrack } from './parse.js';
import { asciiBytes, QuickLine } from './quick-line.js';

export interface CountOptions extends AttributionOptions {
  /**
   * Two listings in one text (the local source: `conntrack -L`, then `conntrack -L -f ipv6` from
   * this line on): entries before it count only when IPv4, from it only when IPv6, so each family
   * is counted once. As the source filters parseConntrack's entries.
   */
  readonly ipv6FromLine?: number;
}

export interface ConnectionCount {
  readonly report: ConnectionReport;
  /** Entries counted (the table's entries.length on the slow path). */
  readonly entries: number;
  readonly warnings: Diagnostic[];
  readonly reportedCount: number | null;
}

export function countConnections(text: string, file: string, model: KubeModel, opts: CountOptions): ConnectionCount {
  const index = new FrontendIndex(model, opts.nodeAddresses);
  const from = opts.ipv6FromLine;
  // A text that is not all ASCII (never conntrack's own output) is read in full, line by line.
  const bytes = asciiBytes(text);
  const quick = bytes && new QuickLine(bytes);
  let entries = 0;
  const scan = scanConntrack(
    text,
    file,
    (entry) => {
      if (from !== undefined && (entry.family === 'ipv6') !== entry.line >= from) return;
      entries++;
      index.count(entry);
    },
    (start, end, line) => {
      if (!quick?.read(start, end)) return false;
      // An IPv4 line of the IPv6 listing is taken and not counted, as the full reader's entry would be.
      if (from === undefined || line < from) {
        entries++;
        index.countQuick(quick);
      }
      return true;
    },
  );
  return { report: index.report(), entries, warnings: scan.warnings, reportedCount: scan.reportedCount };
}
