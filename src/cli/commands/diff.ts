/**
 * `kubechains diff A B`: what differs between two dumps, services first. Both are read through
 * the same source machinery as every command (a file, or - for standard input), so bad input is
 * FILE:LINE:COL and exit 2 here as anywhere.
 */
import { chainChangeLines, diffDumps, isEmptyDiff, serviceChangeLines, type ChainRef, type DumpDiff } from '../../core/index.js';
import { sourceSpecFor } from '../../sources/index.js';
import type { Snapshot, SourceSpec } from '../../sources/types.js';
import type { CliOptions } from '../args.js';
import { EXIT_NO_ANSWER, EXIT_OK, type Output } from '../io.js';

/** Loads one dump; a number is the exit code after the loader printed why. */
export type LoadDump = (spec: SourceSpec) => Promise<Snapshot | number>;

export async function diffCommand(options: CliOptions, load: LoadDump, out: Output): Promise<number> {
  const a = await load(sourceSpecFor(options.source, null));
  if (typeof a === 'number') return a;
  const b = await load(sourceSpecFor(options.otherSource, null));
  if (typeof b === 'number') return b;
  const diff = diffDumps(dumpOf(a), dumpOf(b));
  for (const note of diff.notes) out.error(`kubechains: ${note}`);
  if (options.json) out.json(diffJson(diff));
  else for (const line of diffText(diff)) out.line(line);
  return isEmptyDiff(diff) ? EXIT_OK : EXIT_NO_ANSWER;
}

function dumpOf(snapshot: Snapshot) {
  return { ruleset: snapshot.ruleset, nft: snapshot.nft ?? null };
}

/** The contract's shape only (notes go to standard error). */
export function diffJson(diff: DumpDiff) {
  return { services: diff.services, chains: diff.chains };
}

export function diffText(diff: DumpDiff): string[] {
  if (isEmptyDiff(diff)) return ['no difference'];
  const lines: string[] = [];
  const { services, chains } = diff;
  const serviceCount = services.added.length + services.removed.length + services.changed.length;
  if (serviceCount > 0) {
    lines.push(`services: ${services.added.length} added, ${services.removed.length} removed, ${services.changed.length} changed`);
    for (const id of services.added) lines.push(`  + ${id}`);
    for (const id of services.removed) lines.push(`  - ${id}`);
    for (const change of services.changed) {
      lines.push(`  ~ ${change.id}`, ...serviceChangeLines(change).map(indent));
    }
  }
  const chainCount = chains.added.length + chains.removed.length + chains.changed.length;
  if (chainCount > 0) {
    if (lines.length > 0) lines.push('');
    lines.push(`chains: ${chains.added.length} added, ${chains.removed.length} removed, ${chains.changed.length} changed`);
    for (const c of chains.added) lines.push(`  + ${chainName(c)}`);
    for (const c of chains.removed) lines.push(`  - ${chainName(c)}`);
    for (const c of chains.changed) lines.push(`  ~ ${chainName(c)}`, ...chainChangeLines(c).map(indent));
  }
  return lines;
}

export function chainName(c: ChainRef): string {
  return `${c.family === 'ipv6' ? 'IPv6 ' : ''}${c.table} ${c.chain}`;
}

function indent(line: string): string {
  return `      ${line}`;
}
