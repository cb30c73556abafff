/** Hand-written nftables rulesets for the tracer tests: parse (failing on any diagnostic) and trace one TCP packet. */
import { expect } from 'vitest';
import { parseNftables, traceNftPacket, type NftRuleset } from '../../src/core/nft/index.js';
import type { Outcome, TraceOptions, TraceResult } from '../../src/core/trace/index.js';

export const NODE_IP = '192.168.0.2';

export function ruleset(text: string): NftRuleset {
  const nft = parseNftables(text);
  expect(nft.diagnostics).toEqual([]);
  return nft;
}

export function trace(nft: NftRuleset, src: string, dst: string, dport = 80, options: TraceOptions & { local?: string[]; protocol?: 'tcp' | 'udp' } = {}): TraceResult {
  const r = traceNftPacket(nft, { protocol: options.protocol ?? 'tcp', src, dst, dport }, { localAddresses: options.local ?? [NODE_IP] }, options);
  expect(r.error).toBeUndefined();
  return r;
}

/** verdict, dnat and probability of each outcome, for compact expectations. */
export function summary(r: TraceResult): Array<[Outcome['verdict'], string | null, number]> {
  return r.outcomes.map((o) => [o.verdict, o.dnat, Number(o.probability.toFixed(12))]);
}

/** "chain#rule>target" for each step of an outcome's path. */
export function steps(o: Outcome): string[] {
  return o.path.map((s) => `${s.chain}#${s.rule ?? '-'}>${s.target}`);
}
