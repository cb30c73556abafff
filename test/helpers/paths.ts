/** Paths tests share: the repo root, the fixtures and kube-proxy's test corpus (a copy inside the repository). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const corpusDir = path.join(repoRoot, 'test/corpus/kube-proxy/iptables');
export const fixturesDir = path.join(repoRoot, 'fixtures');
