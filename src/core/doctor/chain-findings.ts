/** Findings about chains and hooks: stale and empty kube chains, masquerade, KUBE-SERVICES unreached, two backends. */
import { liveTables } from '../parse/live-tables.js';
import { chainRows } from '../parse/rule.js';
import type { Family, Ruleset, Table } from '../parse/types.js';
import type { KubeModel } from '../kube/types.js';
import { JumpGraph } from './graph.js';
import { finding, plural, whereText } from './place.js';
import type { Finding } from './types.js';

/** kube-proxy's per-service and per-endpoint chains: what a failed sync or a switch to IPVS leaves behind. */
const SERVICE_CHAIN = /^KUBE-(SVC|SVL|EXT|FW|XLB|SEP)-/;

export function chainFindings(ruleset: Ruleset, model: KubeModel): Finding[] {
  const out: Finding[] = [];
  const tables = liveTables(ruleset);
  const dualStack = new Set(tables.map((t) => t.family)).size > 1;
  for (const nat of tables) {
    if (nat.name !== 'nat') continue;
    const graph = new JumpGraph(nat);
    out.push(...staleChains(graph, model, dualStack));
    out.push(...emptyEndpointChains(nat, model, dualStack));
    if (graph.chain('KUBE-SERVICES') === undefined) continue;
    out.push(...unreachableKubeServices(graph, nat.family, dualStack));
    out.push(...noMasquerade(graph, nat.family, dualStack));
  }
  return out;
}

/**
 * Service and endpoint chains with rules that nothing reaches: not from the hooks, nor from any
 * chain that is not itself one of them. (The roots are every other chain, so a dump without the
 * hooks' jumps, such as kube-proxy's test dumps, still has its services reached through
 * KUBE-SERVICES.) An empty chain changes no packet and is no leftover: kube-proxy before
 * KUBE-EXT declared a KUBE-XLB chain for every Local service, endpoints or not.
 */
function staleChains(graph: JumpGraph, model: KubeModel, dualStack: boolean): Finding[] {
  const { table } = graph;
  const roots = table.chains.filter((c) => !SERVICE_CHAIN.test(c.name)).map((c) => c.name);
  const reached = graph.reachableFrom(roots);
  const out: Finding[] = [];
  for (const chain of table.chains) {
    if (!SERVICE_CHAIN.test(chain.name) || reached.has(chain.name) || chainRows(chain).size === 0) continue;
    const from = graph.referrersOf(chain.name);
    const place = { family: table.family, table: table.name, chain: chain.name, rule: null };
    out.push(
      finding('stale-chain', 'warning', place, {
        service: model.chainOwner.get(`${table.family}/${chain.name}`)?.id ?? null,
        message: `${whereText(place, dualStack)} (${plural(chainRows(chain).size, 'rule')}) is reached by nothing${from.length > 0 ? ` but other stale chains (${from.join(', ')})` : ''}: a leftover`,
        hint: 'leftovers of a failed kube-proxy sync or of a switch to IPVS mode: check the kube-proxy logs; kube-proxy --cleanup (or a restart) removes them',
      }),
    );
  }
  return out;
}

/** KUBE-SEP chains without their DNAT rule, read from the chains themselves. */
function emptyEndpointChains(nat: Table, model: KubeModel, dualStack: boolean): Finding[] {
  const out: Finding[] = [];
  for (const chain of nat.chains) {
    if (!chain.name.startsWith('KUBE-SEP-')) continue;
    const rows = chainRows(chain);
    let dnat = false;
    for (let i = 0; i < rows.size && !dnat; i++) dnat = rows.targetAt(i) === 'DNAT';
    if (dnat) continue;
    const place = { family: nat.family, table: nat.name, chain: chain.name, rule: null };
    out.push(
      finding('empty-endpoint-chain', 'error', place, {
        service: model.chainOwner.get(`${nat.family}/${chain.name}`)?.id ?? null,
        message: `${whereText(place, dualStack)} ${rows.size === 0 ? 'has no rules' : 'has no DNAT rule'}: a connection sent to this endpoint is not translated to any pod`,
        hint: 'a partial dump (was it cut?) or a failed kube-proxy sync: take the dump again with iptables-save -c; if the chain is still empty, check the kube-proxy logs',
      }),
    );
  }
  return out;
}

/** The hooks kube-proxy jumps to KUBE-SERVICES from: PREROUTING (pods, the network) and OUTPUT (the node). */
const SERVICE_HOOKS = ['PREROUTING', 'OUTPUT'] as const;

function unreachableKubeServices(graph: JumpGraph, family: Family, dualStack: boolean): Finding[] {
  const missing = SERVICE_HOOKS.filter((hook) => !graph.reachableFrom([hook]).has('KUBE-SERVICES'));
  if (missing.length === 0) return [];
  const place = { family, table: graph.table.name, chain: 'KUBE-SERVICES', rule: null };
  const who = missing.length === 2 ? 'no packet' : missing[0] === 'PREROUTING' ? 'no packet from pods or the network' : 'no packet the node itself sends';
  return [
    finding('unreachable-kube-services', 'error', place, {
      service: null,
      message: `nat ${missing.join(' and ')} never reach${missing.length === 1 ? 'es' : ''} ${whereText(place, dualStack)}: ${who} is sent to a service`,
      hint: 'kube-proxy adds these jumps at start-up (-A PREROUTING/OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES): restart kube-proxy, or check what flushed the hooks (a firewall service?). For a dump without them on purpose (kube-proxy test dumps), add them with --kube-jumps',
    }),
  ];
}

function noMasquerade(graph: JumpGraph, family: Family, dualStack: boolean): Finding[] {
  const chain = graph.chain('KUBE-POSTROUTING');
  const place = { family, table: graph.table.name, chain: chain === undefined ? 'POSTROUTING' : 'KUBE-POSTROUTING', rule: null };
  const hint = 'without it, traffic kube-proxy marks for masquerade (from the node, other nodes, hairpin) leaves with its original source and the replies do not come back: restart kube-proxy and check its logs';
  const where = whereText(place, dualStack);
  if (chain === undefined) return [finding('no-masquerade', 'error', place, { service: null, message: `${where}: there is no KUBE-POSTROUTING chain, so nothing masquerades service traffic`, hint })];
  const rows = chainRows(chain);
  let masquerade = false;
  for (let i = 0; i < rows.size && !masquerade; i++) masquerade = rows.targetAt(i) === 'MASQUERADE';
  if (!masquerade) return [finding('no-masquerade', 'error', place, { service: null, message: `${where} has no MASQUERADE rule`, hint })];
  if (!graph.reachableFrom(['POSTROUTING']).has('KUBE-POSTROUTING')) {
    return [finding('no-masquerade', 'error', place, { service: null, message: `nat POSTROUTING never reaches ${where}: its MASQUERADE rule never runs`, hint })];
  }
  return [];
}

/** iptables-nft's "# Warning: iptables-legacy tables present" line: rules in the other backend are not in this dump. */
export function bothBackends(ruleset: Ruleset): Finding[] {
  const note = ruleset.info.notes.find((n) => /tables present/i.test(n));
  if (note === undefined) return [];
  return [
    finding('both-backends', 'warning', null, {
      service: null,
      message: `the dump says "${note.replace(/^#\s*/, '')}": the kernel also holds rules of the other iptables backend, which are not in this dump and run too`,
      hint: 'dump the other backend as well (iptables-legacy-save -c, or iptables-nft-save -c), and find which program still writes there: kube-proxy and the node must use the same backend',
    }),
  ];
}
