/**
 * The benchmark's stand-in for the kernel's listings (src/gen/nft-listing.ts) against the real
 * thing: the kernel suite's cluster, IPv4 and IPv6 tables, loaded with `nft -f` into a scratch
 * namespace; `nft list ruleset` and `nft -j list ruleset` must be what the renderer writes from
 * the transaction, but for the order of named-set elements (the kernel's hash order).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNftables } from '../../src/core/nft/index.js';
import { generateKubeProxyNftables } from '../../src/gen/kubeproxy.js';
import { renderNftListJson, renderNftListText } from '../../src/gen/nft-listing.js';
import { NFT_TOOL, ScratchNamespace, kernelGate } from './netns.js';
import { nftListRuleset, nftLoad } from './nft-scenario.js';
import { kernelClusterSpec, toIPv6Spec } from './specs.js';

const gate = kernelGate([NFT_TOOL]);

/** The listing with each `elements = { … }` on one line, its elements sorted. */
function sortedElements(text: string): string {
  return text.replace(/elements = \{ ([^}]*) \}/g, (_, body: string) => {
    const items = body.split(/,\s*\n\s*|, /).map((s) => s.trim());
    return `elements = { ${items.sort().join(', ')} }`;
  });
}

type Json = { nftables: Array<Record<string, Record<string, unknown>>> };

/** The JSON listing with every set's elements sorted. */
function sortedJson(text: string): Json {
  const j = JSON.parse(text) as Json;
  for (const item of j.nftables) {
    const body = item.set ?? item.map;
    if (body && Array.isArray(body.elem)) body.elem = [...(body.elem as unknown[])].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return j;
}

describe.skipIf(gate.skip)(gate.title('nft listing renderer vs the kernel'), () => {
  let ns: ScratchNamespace;
  const spec = kernelClusterSpec();
  const transactions = [generateKubeProxyNftables(spec), generateKubeProxyNftables(toIPv6Spec(spec))];
  const fromTransaction = parseNftables(transactions.join('\n'));

  beforeAll(() => {
    gate.assertAvailable();
    ns = ScratchNamespace.create('nl');
    for (const t of transactions) nftLoad(ns.name, t);
  });
  afterAll(() => ns?.destroy());

  it('reads the transaction cleanly', () => {
    expect(fromTransaction.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(fromTransaction.tables.map((t) => `${t.family} ${t.name}`)).toEqual(['ip kube-proxy', 'ip6 kube-proxy']);
  });

  it('writes what nft list ruleset prints', () => {
    const kernel = nftListRuleset(ns.name, 'text');
    const ours = renderNftListText(fromTransaction);
    expect(sortedElements(ours)).toBe(sortedElements(kernel));
  });

  it('writes what nft -j list ruleset prints, handles included', () => {
    const kernel = nftListRuleset(ns.name, 'json');
    const ours = renderNftListJson(fromTransaction);
    expect(sortedJson(ours)).toEqual(sortedJson(kernel));
  });
});
