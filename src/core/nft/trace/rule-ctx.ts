/** What walking a rule needs: the trace's context, and the rule being walked (for path steps and notes). */
import type { PathStep } from '../../trace/types.js';
import type { UndecidedPolicy } from '../../trace/undecided.js';
import type { NftChain, NftRule, NftTable } from '../types.js';
import type { NftBranch } from './branch.js';
import type { EvalCtx, NftEnv } from './eval.js';

export interface NftWalkCtx extends UndecidedPolicy {
  readonly evalCtx: EvalCtx;
  readonly maxDepth: number;
  readonly maxSteps: number;
  stepsLeft: number;
  /** The node's addresses, for REDIRECT. */
  readonly localAddresses: readonly string[];
}

export type End = 'return' | 'accept' | 'drop' | 'reject';

export interface Ended {
  readonly b: NftBranch;
  readonly end: End;
}

export interface RuleCtx {
  readonly table: NftTable;
  readonly chain: NftChain;
  readonly rule: NftRule;
  readonly env: NftEnv;
  /** The step that entered this chain (a jump or goto), null in a base chain. */
  readonly entry: PathStep | null;
}

export function where(rc: RuleCtx): string {
  return `${rc.table.name} ${rc.chain.name} rule ${rc.rule.index}`;
}

export function makeStep(rc: RuleCtx, target: string, extra: { goto?: boolean; element?: string } = {}): PathStep {
  const r = rc.rule;
  return {
    table: rc.table.name,
    nftFamily: rc.table.family,
    chain: rc.chain.name,
    rule: r.index,
    handle: r.handle,
    target,
    line: r.line,
    ...(r.comment !== null ? { comment: r.comment } : {}),
    ...(extra.goto ? { goto: true } : {}),
    ...(extra.element !== undefined ? { element: extra.element } : {}),
  };
}
