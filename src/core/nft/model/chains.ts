/** What kube-proxy's per-service and endpoint chains say: where they go, their load balancing, DNAT, affinity and source ranges. */
import { addUnique, EMPTY } from '../../kube/lists.js';
import { hostPort } from '../../trace/addr.js';
import { anonymousEntry, body, exprText, field, kindOf, setRef, verdictOf } from '../expr.js';
import type { NftChain, NftExpr, NftRule, NftSet, NftTable } from '../types.js';
import { cidrOf, numberOf } from '../values.js';

/** The chain a rule's verdict (or its vmap's single verdict) goes to, with how. */
export function ruleTargets(rule: NftRule): Array<{ kind: 'jump' | 'goto'; target: string; conditional: boolean }> {
  const out: Array<{ kind: 'jump' | 'goto'; target: string; conditional: boolean }> = [];
  const conditional = rule.expr.some((s) => kindOf(s) === 'match');
  for (const s of rule.expr) {
    const v = verdictOf(s);
    if (v && (v.kind === 'jump' || v.kind === 'goto') && v.target !== null) out.push({ kind: v.kind, target: v.target, conditional });
  }
  return out;
}

/** The `numgen random mod N vmap {…}` of a service/local chain: each endpoint chain with its chance. */
export function loadBalancing(chain: NftChain | undefined): Array<{ chain: string; probability: number }> {
  if (!chain) return [];
  for (const rule of chain.rules) {
    for (const s of rule.expr) {
      const vmap = body(s, 'vmap');
      const ng = body(field(vmap, 'key'), 'numgen');
      if (ng === undefined) continue;
      const mod = numberOf(field(ng, 'mod'));
      const entries = body(field(vmap, 'data'), 'set');
      if (mod === null || mod <= 0 || !Array.isArray(entries)) continue;
      const out: Array<{ chain: string; probability: number }> = [];
      for (const raw of entries as readonly NftExpr[]) {
        const { data } = anonymousEntry(raw);
        const target = verdictOf(data ?? undefined)?.target;
        if (!target) continue;
        const seen = out.find((o) => o.chain === target);
        if (seen) seen.probability += 1 / mod;
        else out.push({ chain: target, probability: 1 / mod });
      }
      return out;
    }
  }
  return [];
}

export function dnatRule(chain: NftChain): { rule: NftRule; address: string } | null {
  for (const rule of chain.rules) {
    for (const s of rule.expr) {
      const d = body(s, 'dnat');
      if (d === undefined) continue;
      const addr = field(d, 'addr');
      if (typeof addr !== 'string') continue;
      return { rule, address: hostPort(addr, numberOf(field(d, 'port'))) };
    }
  }
  return null;
}

/** endpoint chain -> its affinity set, from the `ip saddr @affinity-X goto endpoint-X` rules. */
export function affinityByEndpoint(table: NftTable, chains: Array<NftChain | undefined>): Map<string, NftSet> {
  const out = new Map<string, NftSet>();
  for (const chain of chains) {
    for (const rule of chain?.rules ?? []) {
      let set: NftSet | undefined;
      for (const s of rule.expr) {
        const name = setRef(field(body(s, 'match'), 'right'));
        if (name !== null) set = table.setsByName.get(name);
      }
      const target = ruleTargets(rule).find((t) => t.kind === 'goto')?.target;
      if (set && target) out.set(target, set);
    }
  }
  return out;
}

/** `ip saddr != { ranges } drop` of firewall-…, without the LB IPs kube-proxy adds when a range holds the node. */
export function sourceRanges(fw: NftChain | undefined, lbIPs: readonly string[]): readonly string[] {
  const out: string[] = [];
  for (const rule of fw?.rules ?? []) {
    if (!rule.expr.some((s) => kindOf(s) === 'drop')) continue;
    for (const s of rule.expr) {
      const m = body(s, 'match');
      if (field(m, 'op') !== '!=' || exprText(field(m, 'left')).split(' ')[1] !== 'saddr') continue;
      const right = field(m, 'right');
      const set = body(right, 'set');
      const values = set === undefined ? [right] : Array.isArray(set) ? (set as readonly NftExpr[]) : [set];
      for (const v of values) {
        const text = cidrOf(v) ? exprText(v) : typeof v === 'string' ? v : null;
        if (text === null || lbIPs.includes(text)) continue;
        addUnique(out, text);
      }
    }
  }
  return out.length > 0 ? out : EMPTY;
}

