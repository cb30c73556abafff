/**
 * Reading libnftables-json expressions and statements (types.ts): what kind a node is, verdicts,
 * set references, and the text nft prints for them (for path steps, element names and undecided
 * matches). Shared by the model and the tracer.
 */
import type { NftElement, NftExpr, NftStatement } from './types.js';

export type NftObject = { readonly [kind: string]: NftExpr };

export function isObject(e: NftExpr | undefined): e is NftObject {
  return typeof e === 'object' && e !== null && !Array.isArray(e);
}

/** The single key naming an expression's or statement's kind ("match", "payload", "&"), null for scalars. */
export function kindOf(e: NftExpr | undefined): string | null {
  if (!isObject(e)) return null;
  for (const k in e) return k;
  return null;
}

/** The body of a one-key object of that kind, undefined otherwise. */
export function body(e: NftExpr | undefined, kind: string): NftExpr | undefined {
  return isObject(e) && kind in e ? e[kind] : undefined;
}

export function field(e: NftExpr | undefined, name: string): NftExpr | undefined {
  return isObject(e) ? e[name] : undefined;
}

/** "@name" -> "name", null for anything else. */
export function setRef(e: NftExpr | undefined): string | null {
  return typeof e === 'string' && e.startsWith('@') ? e.slice(1) : null;
}

export type VerdictKind = 'accept' | 'drop' | 'return' | 'continue' | 'jump' | 'goto';

export interface NftVerdict {
  readonly kind: VerdictKind;
  /** jump/goto target chain, null otherwise. */
  readonly target: string | null;
}

const PLAIN_VERDICTS: readonly VerdictKind[] = ['accept', 'drop', 'return', 'continue'];

/** A verdict statement or verdict data ({"goto": {"target": "x"}}, {"drop": null}, "drop"), else null. */
export function verdictOf(e: NftExpr | undefined): NftVerdict | null {
  if (typeof e === 'string') return (PLAIN_VERDICTS as readonly string[]).includes(e) ? { kind: e as VerdictKind, target: null } : null;
  const kind = kindOf(e);
  if (kind === null) return null;
  if (kind === 'jump' || kind === 'goto') {
    const b = body(e, kind);
    const target = typeof b === 'string' ? b : field(b, 'target');
    return typeof target === 'string' ? { kind, target } : null;
  }
  return (PLAIN_VERDICTS as readonly string[]).includes(kind) ? { kind: kind as VerdictKind, target: null } : null;
}

export function verdictText(v: NftVerdict): string {
  return v.target === null ? v.kind : `${v.kind} ${v.target}`;
}

/** An element of an anonymous set or map as JSON writes it: a value, or [key, data]; keys may be {"elem": {...}}. */
export function anonymousEntry(e: NftExpr): { key: NftExpr; data: NftExpr | null; comment: string | null } {
  if (Array.isArray(e) && e.length === 2) {
    const [k, d] = e as readonly NftExpr[];
    const { key, comment } = unwrapElem(k!);
    return { key, data: d ?? null, comment };
  }
  const { key, comment } = unwrapElem(e);
  return { key, data: null, comment };
}

/** {"elem": {"val": v, "comment": c, ...}} -> v and c; anything else is the value itself. */
export function unwrapElem(e: NftExpr): { key: NftExpr; comment: string | null } {
  const elem = body(e, 'elem');
  if (elem !== undefined) {
    const c = field(elem, 'comment');
    return { key: field(elem, 'val') ?? null, comment: typeof c === 'string' ? c : null };
  }
  return { key: e, comment: null };
}

/** The entries of an anonymous set ({"set": [...]}), or null when `e` is not one. */
export function anonymousSet(e: NftExpr | undefined): readonly NftExpr[] | null {
  const s = body(e, 'set');
  if (s === undefined) return null;
  return Array.isArray(s) ? (s as readonly NftExpr[]) : [s as NftExpr];
}

const BINARY_OPS: Readonly<Record<string, string>> = { '&': '&', '|': '|', '^': '^', '<<': '<<', '>>': '>>' };

function quote(s: string): string {
  return /^[A-Za-z0-9_.:/@*$-]+$/.test(s) ? s : JSON.stringify(s);
}

/** An expression as `nft list ruleset` prints it (near enough to read and to name an undecided match). */
export function exprText(e: NftExpr | undefined): string {
  if (e === undefined || e === null) return '';
  if (typeof e === 'string') return quote(e);
  if (typeof e === 'number' || typeof e === 'boolean') return String(e);
  if (Array.isArray(e)) return (e as readonly NftExpr[]).map(exprText).join(', ');
  const kind = kindOf(e)!;
  const b = (e as NftObject)[kind];
  switch (kind) {
    case 'payload': {
      const proto = field(b, 'protocol');
      const f = field(b, 'field');
      if (typeof proto === 'string' && typeof f === 'string') return `${proto} ${f}`;
      return `@${exprText(field(b, 'base'))},${exprText(field(b, 'offset'))},${exprText(field(b, 'len'))}`;
    }
    case 'meta': {
      return `meta ${String(field(b, 'key') ?? '')}`;
    }
    case 'ct': {
      const dir = field(b, 'dir');
      return `ct${typeof dir === 'string' ? ` ${dir}` : ''} ${exprText(field(b, 'key'))}`;
    }
    case 'fib': {
      const flags = field(b, 'flags');
      const list = Array.isArray(flags) ? (flags as readonly NftExpr[]).map(String) : typeof flags === 'string' ? [flags] : [];
      return `fib ${list.join(' . ')} ${exprText(field(b, 'result'))}`;
    }
    case 'numgen': {
      const offset = field(b, 'offset');
      return `numgen ${exprText(field(b, 'mode'))} mod ${exprText(field(b, 'mod'))}${typeof offset === 'number' && offset !== 0 ? ` offset ${offset}` : ''}`;
    }
    case 'prefix':
      return `${exprText(field(b, 'addr'))}/${exprText(field(b, 'len'))}`;
    case 'range':
      return Array.isArray(b) ? `${exprText((b as readonly NftExpr[])[0])}-${exprText((b as readonly NftExpr[])[1])}` : exprText(b);
    case 'concat':
      return Array.isArray(b) ? (b as readonly NftExpr[]).map(exprText).join(' . ') : exprText(b);
    case 'set': {
      const entries = anonymousSet(e) ?? [];
      return `{ ${entries.map(entryText).join(', ')} }`;
    }
    case 'elem': {
      const { key, comment } = unwrapElem(e);
      return `${exprText(key)}${comment !== null ? ` comment ${JSON.stringify(comment)}` : ''}`;
    }
    case 'jump':
    case 'goto':
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue': {
      const v = verdictOf(e);
      return v ? verdictText(v) : kind;
    }
    default:
      if (kind in BINARY_OPS && Array.isArray(b)) {
        return (b as readonly NftExpr[]).map(exprText).join(` ${BINARY_OPS[kind]} `);
      }
      return `${kind} ${JSON.stringify(b)}`;
  }
}

function entryText(entry: NftExpr): string {
  const { key, data, comment } = anonymousEntry(entry);
  const k = `${exprText(key)}${comment !== null ? ` comment ${JSON.stringify(comment)}` : ''}`;
  return data === null ? k : `${k} : ${exprText(data)}`;
}

/** A named set's or map's element as nft prints it: `10.96.0.10 . tcp . 53 comment "ns/svc:p" : goto service-…`. */
export function elementText(el: NftElement): string {
  const k = `${exprText(el.key)}${el.comment !== null ? ` comment ${JSON.stringify(el.comment)}` : ''}`;
  return el.data === null ? k : `${k} : ${exprText(el.data)}`;
}

/** A match or other statement as nft prints it (for naming what the tracer cannot decide). */
export function statementText(s: NftStatement): string {
  const kind = kindOf(s);
  if (kind === null) return '';
  const b = s[kind];
  switch (kind) {
    case 'match': {
      const op = field(b, 'op');
      const left = exprText(field(b, 'left'));
      const right = exprText(field(b, 'right'));
      return op === '==' || op === 'in' ? `${left} ${right}` : `${left} ${String(op)} ${right}`;
    }
    case 'vmap':
      return `${exprText(field(b, 'key'))} vmap ${exprText(field(b, 'data'))}`;
    case 'xt': {
      const type = field(b, 'type');
      const name = field(b, 'name');
      return `xt ${typeof type === 'string' ? `${type} ` : ''}${exprText(name)}`;
    }
    default: {
      const v = verdictOf(s);
      if (v) return verdictText(v);
      return b === null ? kind : `${kind} ${exprText(b)}`;
    }
  }
}
