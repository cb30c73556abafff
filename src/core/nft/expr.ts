/**
 * Reading libnftables-json expressions and statements (types.ts): what kind a node is, verdicts,
 * set references; the text nft prints for them comes from the reader's renderer. Shared by the
 * model and the tracer.
 */
import { nftElementText, nftExprText, nftStatementText } from './parse/render.js';
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

/** An expression as nft prints it (the reader's renderer; '' for none). */
export function exprText(e: NftExpr | undefined): string {
  return e === undefined ? '' : nftExprText(e);
}

/** A statement as nft prints it. */
export function statementText(s: NftStatement): string {
  return nftStatementText(s);
}

/** A set or map element as nft prints it: `10.96.0.10 . tcp . 53 comment "ns/svc:p" : goto service-…`. */
export function elementText(el: NftElement): string {
  return nftElementText(el);
}

/** An anonymous map's entry the same way (`0 : goto endpoint-…`). */
export function entryText(entry: { key: NftExpr; data: NftExpr | null; comment: string | null }): string {
  return nftElementText({ ...entry, expires: null, timeout: null, line: 0 });
}
