/** Paths tests share: the repo root and the shared corpus beside it (CI puts shared/ next to the clone). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const corpusDir = path.resolve(repoRoot, '../shared/corpus/kube-proxy/iptables');
export const fixturesDir = path.join(repoRoot, 'fixtures');
