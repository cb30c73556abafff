/** Loading kube-proxy's corpus for the tracer tests: dumps, flows, and the implicit jump rules. */
import fs from 'node:fs';
import path from 'node:path';
import { parseIptablesSave, type Ruleset, type TableName } from '../../src/core/parse/index.js';
import { corpusDir } from '../helpers/paths.js';

export { corpusDir };

export interface FlowCase {
  readonly dump: string;
  readonly name: string;
  readonly sourceIP: string;
  readonly destIP: string;
  readonly destPort: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly output: string;
  readonly masq: boolean;
}

export interface DumpEntry {
  readonly file: string;
  readonly kind: string;
  readonly environment?: { readonly tracer_local_ips?: string[]; readonly testNodeIPs?: string[] };
}

interface DumpsIndex {
  readonly implicit_jump_rules: Partial<Record<TableName, string[]>> & { note?: string };
  readonly dumps: DumpEntry[];
}

export function readJson<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(corpusDir, name), 'utf8')) as T;
}

export const flows = (): FlowCase[] => readJson<FlowCase[]>('flows.json');
export const dumpsIndex = (): DumpsIndex => readJson<DumpsIndex>('dumps.json');

/**
 * The dump with kube-proxy's builtin-chain jumps added where it lacks them: kube-proxy installs
 * them with `iptables -I`, not iptables-restore, so generated dumps do not hold them (README).
 * A jump counts as present when the same chain already jumps to the same target.
 */
export function withImplicitJumps(text: string, implicit: DumpsIndex['implicit_jump_rules']): string {
  const parsed = parseIptablesSave(text);
  const lines = text.split('\n');
  const inserts = new Map<number, string[]>(); // COMMIT line index -> rules to put before it
  for (const table of parsed.tables) {
    const wanted = implicit[table.name] ?? [];
    const missing = wanted.filter((rule) => {
      const [, chain] = /^-A (\S+)/.exec(rule) ?? [];
      const target = / -j (\S+)$/.exec(rule)?.[1];
      const c = table.chainsByName.get(chain ?? '');
      return !c?.rules.some((r) => r.target === target);
    });
    if (missing.length > 0 && table.commitLine !== null) inserts.set(table.commitLine - 1, missing);
  }
  return lines.flatMap((l, i) => [...(inserts.get(i) ?? []), l]).join('\n');
}

export function loadCorpusDump(file: string): Ruleset {
  const text = fs.readFileSync(path.join(corpusDir, file), 'utf8');
  return parseIptablesSave(withImplicitJumps(text, dumpsIndex().implicit_jump_rules));
}
