/** kube-proxy's nftables corpus for the model and tracer tests: the rulesets, flows.json and the node facts in dumps.json. */
import fs from 'node:fs';
import path from 'node:path';
import { parseNftables, type NftRuleset } from '../../src/core/nft/index.js';
import { repoRoot } from '../helpers/paths.js';

export const nftCorpusDir = path.join(repoRoot, 'test/corpus/kube-proxy/nftables');

export interface NftFlowCase {
  readonly dump: string;
  readonly name: string;
  readonly sourceIP: string;
  readonly destIP: string;
  readonly destPort: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly output: string;
  readonly masq: boolean;
}

interface DumpEntry {
  readonly file: string;
  readonly kind: string;
  readonly environment?: { readonly tracer_local_ips?: string[]; readonly testNodeIPs?: string[] };
}

function readJson<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(nftCorpusDir, name), 'utf8')) as T;
}

export const nftFlows = (): NftFlowCase[] => readJson<NftFlowCase[]>('flows.json');
export const nftDumps = (): DumpEntry[] => readJson<{ dumps: DumpEntry[] }>('dumps.json').dumps;

/** Every .nft file of the corpus. */
export function nftCorpusFiles(): string[] {
  return fs.readdirSync(nftCorpusDir).filter((f) => f.endsWith('.nft')).sort();
}

export function loadNftCorpus(file: string): NftRuleset {
  return parseNftables(fs.readFileSync(path.join(nftCorpusDir, file), 'utf8'));
}

/** The node's own addresses the dump's test assumes (dumps.json). */
export function nftLocalIPs(file: string): string[] {
  const env = nftDumps().find((d) => d.file === file)?.environment;
  const ips = env?.tracer_local_ips ?? env?.testNodeIPs;
  if (!ips) throw new Error(`no local IPs for ${file} in dumps.json`);
  return ips;
}
