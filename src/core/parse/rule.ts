/**
 * A rule keeps its text and re-derives its options on demand. Holding every option of a
 * 430k-rule dump as objects costs gigabytes of heap and seconds of GC; the text is already in
 * memory, re-tokenizing one rule takes a microsecond, and a bounded cache keeps hot rules
 * (the tracer's and the views') parsed.
 */
import { parseRuleArgs } from './args.js';
import { tokenize } from './tokenize.js';
import type { Counters, Family, Rule, RuleArg, TableName } from './types.js';

/**
 * Parsed options live on the rule itself, and a ring of the last CACHE_SIZE rules decides whose
 * to drop. Small on purpose: cached options that outlive a young-generation GC get copied and
 * promoted, so a big cache turned a scan of every rule into mostly GC time (measured: 8192
 * entries cost 6x the time of 1024). A view or a trace touches far fewer rules than this.
 */
const CACHE_SIZE = 1024;
const ring: (StoredRule | undefined)[] = new Array(CACHE_SIZE);
let ringPos = 0;

export class StoredRule implements Rule {
  index = 0;
  private parsedArgs: readonly RuleArg[] | undefined = undefined;

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
    /** Index of the first option word: 2 after "-A CHAIN", 3 after "-I CHAIN N". */
    private readonly argsFrom: number,
  ) {}

  get args(): readonly RuleArg[] {
    if (this.parsedArgs) return this.parsedArgs;
    const tok = tokenize(this.text);
    // The parser validated this text already, so both steps succeed.
    const parsed = tok.ok ? parseRuleArgs(tok.tokens, this.argsFrom, this.textOffset) : null;
    const args = parsed?.ok ? parsed.args : [];
    const evicted = ring[ringPos];
    if (evicted) evicted.parsedArgs = undefined;
    ring[ringPos] = this;
    ringPos = (ringPos + 1) % CACHE_SIZE;
    this.parsedArgs = args;
    return args;
  }
}
