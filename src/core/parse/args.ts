/**
 * Groups the words of a rule into options: a name, its values up to the next option, a
 * preceding `!`, and the match module or target each option belongs to.
 */
import type { Token } from './tokenize.js';
import type { RuleArg } from './types.js';

const LONG_GENERIC: Readonly<Record<string, string>> = {
  '--source': '-s', '--src': '-s', '--destination': '-d', '--dst': '-d', '--protocol': '-p',
  '--in-interface': '-i', '--out-interface': '-o', '--jump': '-j', '--goto': '-g',
  '--match': '-m', '--fragment': '-f',
};

/** How many values each generic option takes. */
const GENERIC_ARITY: ReadonlyMap<string, number> = new Map([
  ['-s', 1], ['-d', 1], ['-p', 1], ['-i', 1], ['-o', 1], ['-f', 0], ['-4', 0], ['-6', 0],
]);

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
    const name = LONG_GENERIC[nameTok.text] ?? nameTok.text;
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
    const vals = values === null ? EMPTY : name === '--comment' && values.length > 1 ? [values.join(' ')] : values;
    if (name === '-m') {
      module = vals[0] ?? null;
      if (module === null) return fail(nameTok, '-m needs a module name');
      args.push({ name, module: null, negated, values: vals, column });
      continue;
    }
    if (name === '-j' || name === '-g') {
      if (target !== null) return fail(nameTok, 'a rule can have only one -j or -g');
      target = vals[0] ?? null;
      if (target === null) return fail(nameTok, `${name} needs a target`);
      goto = name === '-g';
      module = target;
      args.push({ name, module: null, negated, values: vals, column });
      continue;
    }
    const arity = GENERIC_ARITY.get(name);
    if (arity !== undefined) {
      if (vals.length < arity) return fail(nameTok, `${name} needs a value`);
      if (vals.length > arity) {
        const extra = tokens.slice(valuesFrom).find((t) => t.text === vals[arity]) ?? nameTok;
        return fail(extra, `unexpected word "${preview(vals[arity]!)}" after ${name}`);
      }
      if ((name === '-s' || name === '-d') && vals[0]!.includes(':')) hasV6Address = true;
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
  if (tok.quoted) return false;
  const t = tok.text;
  if (t.length < 2 || t.charCodeAt(0) !== 45 /* - */) return false;
  const c = t.charCodeAt(1);
  // "-1" is a value (e.g. a negative number), not an option.
  return !(c >= 48 && c <= 57);
}

function impliedProtocolModule(args: readonly RuleArg[]): string | null {
  for (const a of args) if (a.name === '-p' && !a.negated) return a.values[0] ?? null;
  return null;
}

function preview(s: string): string {
  const one = s.length > 60 ? s.slice(0, 57) + '...' : s;
  return JSON.stringify(one).slice(1, -1);
}
