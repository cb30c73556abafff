/**
 * THE PROOF for the nftables reader: load each corpus ruleset (and a ruleset of the format quirks)
 * into a fresh network namespace with `nft -f`, then read the transaction file and the kernel's
 * `nft list ruleset`, `nft -a list ruleset` and `nft -j list ruleset`. All four must give the same
 * tables, chains, rules (statement objects deep-equal, text equal to what nft printed), sets and
 * elements; -a and -j must agree on handles.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nftRuleText, parseNftables, type NftRuleset } from '../../src/core/index.js';
import { inNs } from '../kernel/exec.js';
import { ScratchNamespace } from '../kernel/netns.js';
import { canonical } from './canonical.js';
import { generatedTransaction } from './generated.js';
import { QUIRKS_RULESET } from './quirks.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CORPUS = path.join(HERE, '..', 'corpus', 'kube-proxy', 'nftables');
const CORPUS_FILES = readdirSync(CORPUS).filter((f) => f.endsWith('.nft')).sort();

function hasTool(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** This test needs only root, ip netns and nft (not the iptables tools the other kernel tests need). */
function whyNot(): string | null {
  if (process.platform !== 'linux') return `needs Linux network namespaces (platform is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root for ip netns and nft';
  if (!hasTool('ip', ['-V'])) return 'needs ip (apt-get install iproute2)';
  if (!hasTool('nft', ['--version'])) return 'needs nft (apt-get install nftables)';
  return null;
}

const missing = whyNot();
const skip = missing !== null && process.env.CI !== 'true';

/**
 * kube-proxy's unit-test dumps list objects sorted by kind, so a rule can jump to a chain added
 * further down; `nft -f` resolves jump targets as it reads, so declarations (all `add table|chain|
 * set|map` lines) go first. The corpus files only add, so the final state is the same.
 */
function declarationsFirst(text: string): string {
  const lines = text.split('\n');
  const decl = /^add (table|chain|set|map) /;
  return [...lines.filter((l) => decl.test(l)), ...lines.filter((l) => !decl.test(l))].join('\n');
}

function noErrors(r: NftRuleset): string[] {
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.column} ${d.message}`);
}

const cases: Array<{ name: string; text: string }> = [
  ...CORPUS_FILES.map((f) => ({ name: f, text: readFileSync(path.join(CORPUS, f), 'utf8') })),
  { name: 'quirks (inet, ip, ip6 tables)', text: QUIRKS_RULESET },
  // size brings out element lists wrapped over many lines in hash order and long numgen vmaps
  { name: 'generated: 300 services, ip', text: generatedTransaction({ services: 300, endpoints: 12, family: 'ip' }) },
  { name: 'generated: 300 services, ip6', text: generatedTransaction({ services: 300, endpoints: 12, family: 'ip6' }) },
];

describe.skipIf(skip)(skip ? `nft reader vs the kernel (skipped outside CI: ${missing})` : 'nft reader vs the kernel', () => {
  let dir = '';
  const namespaces: ScratchNamespace[] = [];

  beforeAll(() => {
    if (missing !== null) throw new Error(`real-kernel tests cannot run: ${missing}`);
    dir = mkdtempSync(path.join(tmpdir(), 'kc-nftp-'));
  });

  afterAll(() => {
    for (const ns of namespaces) ns.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(cases)('$name: transaction, list, list -a and list -j agree', ({ name, text }) => {
    const ns = ScratchNamespace.create('nftp');
    namespaces.push(ns);
    const file = path.join(dir, `${namespaces.length}.nft`);
    writeFileSync(file, declarationsFirst(text));
    inNs(ns.name, 'nft', ['-f', file]);
    const listed = inNs(ns.name, 'nft', ['list', 'ruleset']);
    const listedA = inNs(ns.name, 'nft', ['-a', 'list', 'ruleset']);
    const listedJ = inNs(ns.name, 'nft', ['-j', 'list', 'ruleset']);
    ns.destroy();

    const tx = parseNftables(text);
    const plain = parseNftables(listed);
    const withHandles = parseNftables(listedA);
    const json = parseNftables(listedJ);
    expect(tx.form, name).toBe('transaction');
    expect(plain.form).toBe('text');
    expect(withHandles.form).toBe('text');
    expect(json.form).toBe('json');
    for (const r of [tx, plain, withHandles, json]) expect(noErrors(r), `${name} (${r.form})`).toEqual([]);
    expect(plain.tables.length).toBeGreaterThan(0);

    // the text form's rule text is nft's own; the renderer must print the same from the objects
    for (const r of [plain, withHandles])
      for (const t of r.tables) for (const c of t.chains) for (const rule of c.rules) expect(nftRuleText(rule.expr, rule.comment)).toBe(rule.text);

    const full = { handles: false, objectComments: true };
    // an element added with a timeout gets its `expires` from the kernel at load time
    const noExpiry = { ...full, expires: false };
    expect(canonical(tx, noExpiry)).toEqual(canonical(plain, noExpiry));
    expect(canonical(withHandles, full)).toEqual(canonical(plain, full));
    // nft 1.0.6's JSON omits table and chain comments (kernel output, not ours): compared without them
    const noComments = { handles: false, objectComments: false };
    expect(canonical(json, noComments)).toEqual(canonical(plain, noComments));
    // -a and -j must agree on every handle
    expect(canonical(json, { handles: true, objectComments: false })).toEqual(canonical(withHandles, { handles: true, objectComments: false }));
    const handles = withHandles.tables.flatMap((t) => t.chains.flatMap((c) => c.rules.map((r) => r.handle)));
    expect(handles.every((h) => typeof h === 'number')).toBe(true);
  });
});
