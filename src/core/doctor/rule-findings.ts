/** Findings about single rules: drops that counted, service rules without their port, shadowed frontends. */
import { liveTables } from '../parse/live-tables.js';
import { findArg, ruleComment } from '../parse/query.js';
import { chainRows } from '../parse/rule.js';
import type { Rule, Ruleset, Table } from '../parse/types.js';
import { serviceIdFromComment } from '../kube/comments.js';
import { serviceChainRole } from '../kube/roles.js';
import type { KubeModel } from '../kube/types.js';
import { finding, plural, rulePlace, whereText } from './place.js';
import type { Finding } from './types.js';

/** Every DROP or REJECT rule whose counters are not zero. */
export function countingDrops(ruleset: Ruleset, model: KubeModel): Finding[] {
  return countingDropsAt(ruleset, model, dropRules(ruleset));
}

/**
 * A DROP or REJECT rule, by position: its table in liveTables, its chain in the table, its place
 * in the chain. These follow from the rules alone, so a live refresh with the same rules and new
 * counts reads only these rules' counters instead of every rule's target again.
 */
export interface DropRule {
  readonly table: number;
  readonly chain: number;
  readonly rule: number;
  /**
   * The rule's comment and the service the drop is blamed on, read the first time the rule
   * counted (the same for the same rules and services); undefined until then.
   */
  comment?: string | null;
  service?: string | null;
}

/** Every DROP or REJECT rule of `ruleset`, counted or not, in dump order. */
export function dropRules(ruleset: Ruleset): DropRule[] {
  const out: DropRule[] = [];
  const tables = liveTables(ruleset);
  for (let t = 0; t < tables.length; t++) {
    const chains = tables[t]!.chains;
    for (let c = 0; c < chains.length; c++) {
      const rows = chainRows(chains[c]!);
      for (let i = 0; i < rows.size; i++) {
        const target = rows.targetAt(i);
        if (target === 'DROP' || target === 'REJECT') out.push({ table: t, chain: c, rule: i });
      }
    }
  }
  return out;
}

/**
 * The counting-drop findings of `drops` (dropRules of `ruleset`, or of a ruleset holding the
 * same rules, with `model` the model of the same services).
 */
export function countingDropsAt(ruleset: Ruleset, model: KubeModel, drops: readonly DropRule[]): Finding[] {
  const out: Finding[] = [];
  const tables = liveTables(ruleset);
  const dualStack = new Set(tables.map((t) => t.family)).size > 1;
  for (const drop of drops) {
    const table = tables[drop.table]!;
    const chain = table.chains[drop.chain]!;
    const rows = chainRows(chain);
    const counters = rows.countersAt(drop.rule);
    if (counters === null || counters.packets === 0) continue;
    const target = rows.targetAt(drop.rule);
    const rule = rows.ruleAt(drop.rule);
    if (drop.service === undefined) {
      drop.comment = ruleComment(rule) ?? null;
      drop.service = (drop.comment !== null ? serviceIdFromComment(drop.comment) : null) ?? model.chainOwner.get(`${rule.family}/${chain.name}`)?.id ?? null;
    }
    const comment = drop.comment ?? null;
    const service = drop.service;
    const why = comment !== null ? ` ("${comment}")` : '';
    out.push(
      finding('counting-drop', 'warning', rulePlace(rule), {
        service,
        message: `${whereText(rulePlace(rule), dualStack)}${why} ${target === 'DROP' ? 'dropped' : 'rejected'} ${plural(counters.packets, 'packet')} (${plural(counters.bytes, 'byte')})`,
        hint: service !== null ? `see why ${service} refuses traffic: kubechains which ${service}` : `see the rule with kubechains chain ${chain.name} --table ${table.name}`,
      }),
    );
  }
  return out;
}

/** The nat chains whose rules are the services' frontends (and the filter chains refusing them). */
const FRONTEND_CHAINS: Readonly<Record<string, readonly string[]>> = {
  nat: ['KUBE-SERVICES', 'KUBE-NODEPORTS'],
  filter: ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS'],
};

/** Rules of the frontend chains that name a protocol and a service but match no port (iptables-nft version skew). */
export function missingDport(ruleset: Ruleset): Finding[] {
  const bad: Rule[] = [];
  for (const table of liveTables(ruleset)) {
    for (const name of FRONTEND_CHAINS[table.name] ?? []) {
      const chain = table.chainsByName.get(name);
      if (chain === undefined) continue;
      const rows = chainRows(chain);
      for (let i = 0; i < rows.size; i++) {
        if (!rows.textAt(i).includes(' -p ')) continue;
        const rule = rows.ruleAt(i);
        if (!isServiceRule(rule)) continue;
        if (findArg(rule, '--dport') === undefined && findArg(rule, '--dports') === undefined) bad.push(rule);
      }
    }
  }
  if (bad.length === 0) return [];
  const first = bad[0]!;
  return [
    finding('missing-dport', 'error', rulePlace(first), {
      service: serviceOfRule(first),
      message: `${plural(bad.length, 'service rule')} match a protocol but no port (first: ${first.table} ${first.chain} rule ${first.index}): the iptables that printed this dump is older than the one kube-proxy wrote the rules with, so the dump misreports them (as printed, every such rule matches every port)`,
      hint: "run iptables-save from kube-proxy's own image (kubectl -n kube-system exec <kube-proxy pod> -- iptables-save -c), or an iptables of a matching version, and load that dump instead",
    }),
  ];
}

/** A rule kube-proxy writes for one service port: it jumps to a service chain, or its comment names a service. */
function isServiceRule(rule: Rule): boolean {
  if (rule.target !== null && serviceChainRole(rule.target) !== null) return true;
  return serviceOfRule(rule) !== null;
}

function serviceOfRule(rule: Rule): string | null {
  const comment = ruleComment(rule);
  return comment === undefined ? null : serviceIdFromComment(comment);
}

/**
 * Two rules of nat KUBE-SERVICES or KUBE-NODEPORTS with the same matches (one IP:port/protocol),
 * the first jumping to a service chain: that chain always ends in a DNAT or a drop, so the
 * second rule never sees a packet.
 */
export function duplicateFrontends(ruleset: Ruleset): Finding[] {
  const out: Finding[] = [];
  for (const table of liveTables(ruleset)) {
    if (table.name !== 'nat') continue;
    for (const name of FRONTEND_CHAINS.nat!) out.push(...duplicatesIn(table, name));
  }
  return out;
}

function duplicatesIn(table: Table, name: string): Finding[] {
  const chain = table.chainsByName.get(name);
  if (chain === undefined) return [];
  const out: Finding[] = [];
  const firstByKey = new Map<string, Rule>();
  const rows = chainRows(chain);
  for (let i = 0; i < rows.size; i++) {
    const rule = rows.ruleAt(i);
    const key = matchKey(rule);
    if (key === null) continue;
    const first = firstByKey.get(key);
    if (first === undefined) {
      if (rule.target !== null && serviceChainRole(rule.target) !== null) firstByKey.set(key, rule);
      continue;
    }
    const service = serviceOfRule(rule) ?? serviceOfRule(first);
    out.push(
      finding('duplicate-frontend', 'warning', rulePlace(rule), {
        service,
        message: `${name} rule ${rule.index} matches the same ${frontendText(rule)} as rule ${first.index} (-j ${first.target}), so it can never match${serviceOfRule(rule) !== null ? `: ${serviceOfRule(rule)} is unreachable there` : ''}`,
        hint: 'two services claim one address and port: give one of them another IP or port (kube-proxy should not write this; a stale or hand-made rule can)',
      }),
    );
  }
  return out;
}

/** The rule's matches without its comment, or null for a rule without a destination port. */
function matchKey(rule: Rule): string | null {
  const parts: string[] = [];
  let port = false;
  for (const a of rule.args) {
    if ((a.name === '-j' || a.name === '-g') && a.module === null) break;
    if (a.module === 'comment' || (a.name === '-m' && a.values[0] === 'comment')) continue;
    if (a.name === '--dport' || a.name === '--dports') port = true;
    parts.push(`${a.negated ? '!' : ''}${a.name} ${a.values.join(' ')}`);
  }
  return port ? parts.join('\u0000') : null;
}

function frontendText(rule: Rule): string {
  const dst = findArg(rule, '-d')?.values[0];
  const port = (findArg(rule, '--dport') ?? findArg(rule, '--dports'))?.values.join(' ');
  const proto = findArg(rule, '-p')?.values[0];
  const host = dst?.replace(/\/(32|128)$/, '');
  const at = host === undefined ? 'node port ' : host.includes(':') ? `[${host}]:` : `${host}:`;
  return `${at}${port}/${proto ?? 'any'}`;
}
