/**
 * parseConntrack + attributeConnections in one pass, for callers that want the report and not the
 * entries (conns, doctor): each line is scanned into one reused entry and counted at once, so a
 * 250k-entry table makes no entry objects. Same warnings, same report, same unmatched count.
 */
import type { KubeModel } from '../kube/types.js';
import type { Diagnostic } from '../parse/types.js';
import { FrontendIndex, type AttributionOptions, type ConnectionReport } from './attribute.js';
import { scanConntrack } from './parse.js';

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
  let entries = 0;
  const scan = scanConntrack(
    text,
    file,
    (entry) => {
      if (from !== undefined && (entry.family === 'ipv6') !== entry.line >= from) return;
      entries++;
      index.count(entry);
    },
    index.addresses(),
  );
  return { report: index.report(), entries, warnings: scan.warnings, reportedCount: scan.reportedCount };
}
