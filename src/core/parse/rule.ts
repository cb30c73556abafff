/**
 * A rule keeps its text and re-derives its options on demand. Holding every option of a
 * 430k-rule dump as objects costs gigabytes of heap and seconds of GC; the text is already in
 * memory, re-tokenizing one rule takes a microsecond, and a bounded cache keeps hot rules
 * (the tracer's and the views') parsed.
 */
import { parseRuleArgs } from './args.js';
import { tokenize } from './tokenize.js';
import type { Counters, Family, Rule, RuleArg, TableName } from './types.js';

/** Two generations: when the young one fills, it becomes the old one (O(1), unlike LRU deletes). */
const GENERATION_SIZE = 25_000;
let young = new Map<StoredRule, readonly RuleArg[]>();
let old = new Map<StoredRule, readonly RuleArg[]>();

export class StoredRule implements Rule {
  index = 0;

  constructor(
    public readonly family: Family,
    public readonly table: TableName,
    public readonly chain: string,
    public readonly line: number,
    public readonly counters: Counters | null,
    public readonly target: string | null,
    public readonly goto: boolean,
    public readonly text: string,
    /** Columns of the text within its line (0 when the line has no counters). */
    private readonly textOffset: number,
  ) {}

  get args(): readonly RuleArg[] {
    const cached = young.get(this) ?? old.get(this);
    if (cached) return cached;
    const tok = tokenize(this.text);
    // The parser validated this text already, so both steps succeed.
    const parsed = tok.ok ? parseRuleArgs(tok.tokens, 2, this.textOffset) : null;
    const args = parsed?.ok ? parsed.args : [];
    if (young.size >= GENERATION_SIZE) {
      old = young;
      young = new Map();
    }
    young.set(this, args);
    return args;
  }
}
