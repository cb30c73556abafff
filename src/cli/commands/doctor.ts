/** `kubechains doctor`: what is wrong on this node, most severe first; exit 1 when anything is an error. */
import { buildDumpModel, connectionFindings, countBySeverity, diagnoseDump, sortFindings, type Finding } from '../../core/index.js';
import { EXIT_NO_ANSWER, EXIT_OK } from '../io.js';
import { findingJson } from '../json.js';
import type { CommandContext } from './context.js';
import { liveConnections } from './live-connections.js';

export function doctorCommand({ dump, options, out, nodeAddresses, conntrack }: CommandContext): number {
  const model = buildDumpModel(dump);
  // --conntrack: what the live connections say too (skewed-connections).
  const live = conntrack ? connectionFindings(liveConnections(conntrack, model, nodeAddresses, out).report) : [];
  const findings = sortFindings([...diagnoseDump(dump, model, { nodeAddresses }), ...live]);
  const counts = countBySeverity(findings);
  if (options.json) out.json({ findings: findings.map(findingJson) });
  else printFindings(findings, counts, out.line.bind(out));
  // An error finding is an answer a script or a cron job should alert on.
  return counts.error > 0 ? EXIT_NO_ANSWER : EXIT_OK;
}

function printFindings(findings: readonly Finding[], counts: ReturnType<typeof countBySeverity>, line: (text?: string) => void): void {
  if (findings.length === 0) {
    line('no problems found');
    return;
  }
  for (const f of findings) {
    const where = f.table === null ? '' : `  [${f.table} ${f.chain}${f.rule === null ? '' : ` rule ${f.rule}`}]`;
    line(`${f.severity.toUpperCase()} ${f.kind}${where}`);
    line(`  ${f.message}`);
    line(`  hint: ${f.hint}`);
  }
  line();
  line(`${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${counts.info} info`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
