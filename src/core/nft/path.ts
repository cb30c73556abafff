/** Path steps of an nft trace, for `which` and the views: which steps are base chains (where a hook starts). */
import type { PathStep } from '../trace/types.js';
import type { NftRuleset } from './types.js';

/** A test for pathByHook: does the step sit in a base chain of this ruleset? */
export function nftBaseChainTest(nft: NftRuleset): (step: PathStep) => boolean {
  const base = new Set<string>();
  for (const t of nft.tables) for (const c of t.chains) if (c.base !== null) base.add(`${t.family} ${t.name} ${c.name}`);
  return (step) => base.has(`${step.nftFamily ?? ''} ${step.table} ${step.chain}`);
}
