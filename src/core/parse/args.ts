/**
 * Groups the words of a rule into options: a name, its values up to the next option, a
 * preceding `!`, and the match module or target each option belongs to.
 */
import { genericArity, genericName, OPT_COMMENT, OPT_DESTINATION, OPT_GOTO, OPT_JUMP, OPT_MATCH, OPT_SOURCE, optionId } from './options.js';
import { isOptionSpan } from './scanner.js';
import type { Token } from './tokenize.js';
import type { RuleArg } from './types.js';

const EMPTY: readonly string[] = Object.freeze([]);

export type ParsedArgs =
  | { readonly ok: true; readonly args: RuleArg[]; readonly target: string | null; readonly goto: boolean; readonly hasV6Address: boolean }
  | { readonly ok: false; readonly message: string; readonly column: number };

/**
 * `tokens[from..]` are the words after `-A CHAIN`; `columnOffset` is added to token columns
 * (tokens of a rule's text start after its counters on the line).
 */
export function parseRuleArgs(tokens: readonly Token[], from: number, columnOffset = 0): ParsedArgs {
  const args: RuleArg[] = [];
  let module: string | null = null;
  let target: string | null = null;
  let goto = false;
  let hasV6Address = false;
  let i = from;
  const n = tokens.length;
  const fail = (tok: Token, message: string): ParsedArgs => ({ ok: false, message, column: tok.column + columnOffset });
  while (i < n) {
    const tok = tokens[i]!;
    let negated = false;
    const column = tok.column + columnOffset;
    let nameTok = tok;
    if (!tok.quoted && tok.text === '!') {
      negated = true;
      i++;
      const next = tokens[i];
      if (!next || !isOptionName(next)) return fail(tok, '"!" must be followed by an option');
      nameTok = next;
    } else if (!isOptionName(tok)) {
      return fail(tok, `unexpected word "${preview(tok.text)}" (expected an option such as -p or --dport)`);
    }
    i++;
    const id = optionId(nameTok.text);
    const name = genericName(id) ?? nameTok.text;
    let values: string[] | null = null;
    const valuesFrom = i;
    while (i < n) {
      const v = tokens[i]!;
      if (isOptionName(v)) break;
      if (!v.quoted && v.text === '!') {
        // Old style "--opt ! value" negates this option; otherwise "!" belongs to the next one.
        const after = tokens[i + 1];
        if (values === null && after && !isOptionName(after) && !(after.text === '!' && !after.quoted)) {
          negated = true;
          i++;
          continue;
        }
        break;
      }
      (values ??= []).push(v.text);
      i++;
    }
    // An unquoted multi-word comment (kube-proxy's test dumps have them) is still one string.
    const vals = values === null ? EMPTY : id === OPT_COMMENT && values.length > 1 ? [values.join(' ')] : values;
    if (id === OPT_MATCH) {
      module = vals[0] ?? null;
      if (module === null) return fail(nameTok, '-m needs a module name');
      args.push({ name, module: null, negated, values: vals, column });
      continue;
    }
    if (id === OPT_JUMP || id === OPT_GOTO) {
      if (target !== null) return fail(nameTok, 'a rule can have only one -j or -g');
      target = vals[0] ?? null;
      if (target === null) return fail(nameTok, `${name} needs a target`);
      goto = id === OPT_GOTO;
      module = target;
      args.push({ name, module: null, negated, values: vals, column });
      continue;
    }
    const arity = genericArity(id);
    if (arity >= 0) {
      if (vals.length < arity) return fail(nameTok, `${name} needs a value`);
      if (vals.length > arity) {
        const extra = tokens.slice(valuesFrom).find((t) => t.text === vals[arity]) ?? nameTok;
        return fail(extra, `unexpected word "${preview(vals[arity]!)}" after ${name}`);
      }
      if ((id === OPT_SOURCE || id === OPT_DESTINATION) && vals[0]!.includes(':')) hasV6Address = true;
      args.push({ name, module: null, negated, values: vals, column });
      continue;
    }
    // Without -m, iptables loads the protocol's match for --dport/--sport: name it after -p.
    const owner = module ?? impliedProtocolModule(args);
    args.push({ name, module: owner, negated, values: vals, column });
  }
  return { ok: true, args, target, goto, hasV6Address };
}

function isOptionName(tok: Token): boolean {
  return !tok.quoted && isOptionSpan(tok.text, 0, tok.text.length);
}

function impliedProtocolModule(args: readonly RuleArg[]): string | null {
  for (const a of args) if (a.name === '-p' && !a.negated) return a.values[0] ?? null;
  return null;
}

function preview(s: string): string {
  const one = s.length > 60 ? s.slice(0, 57) + '...' : s;
  return JSON.stringify(one).slice(1, -1);
}
