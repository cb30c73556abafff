/**
 * The --json shapes of the CLI contract (design.md), mapped field by field from the core's
 * objects so internal fields (rules, parsed args) never leak into what scripts depend on.
 */
import { serviceType, type ServicePort } from '../core/kube/index.js';
import { traceCases, type Outcome, type PathStep, type TraceResult } from '../core/trace/index.js';
import type { ConnectionReport, Finding, ServiceConnections } from '../core/index.js';

export function serviceJson(s: ServicePort) {
  return {
    id: s.id,
    namespace: s.namespace,
    name: s.name,
    portName: s.portName,
    protocol: s.protocol,
    clusterIP: s.clusterIP,
    port: s.port,
    nodePort: s.nodePort,
    externalIPs: [...s.externalIPs],
    loadBalancerIPs: [...s.loadBalancerIPs],
    externalTrafficPolicy: s.externalTrafficPolicy,
    sessionAffinitySeconds: s.sessionAffinitySeconds,
    chains: chainsJson(s),
    endpoints: s.endpoints.map((e) => ({
      address: e.address,
      chain: e.chain,
      probability: e.probability,
      local: e.local,
      packets: e.packets,
      bytes: e.bytes,
      // Beyond the contract: why there is no DNAT ("empty-endpoint-chain", "missing-endpoint-chain"), else null.
      problem: e.problem,
    })),
    packets: s.packets,
    bytes: s.bytes,
    // Beyond the contract, after its fields:
    type: serviceType(s),
    family: s.family,
    internalTrafficPolicy: s.internalTrafficPolicy,
    loadBalancerSourceRanges: [...s.loadBalancerSourceRanges],
    // Which kube-proxy mode wrote the rules: both appear on a node mid-migration.
    mode: s.mode ?? 'iptables',
    ...(s.affinityClients && s.affinityClients.length > 0 ? { affinityClients: s.affinityClients.map((c) => ({ ...c })) } : {}),
  };
}

/** Only the roles present, in kube-proxy's order. */
function chainsJson(s: ServicePort): Record<string, string> {
  const out: Record<string, string> = {};
  for (const role of ['svc', 'ext', 'svl', 'fw', 'xlb'] as const) {
    const name = s.chains[role];
    if (name) out[role] = name;
  }
  return out;
}

export function packetJson(p: TraceResult['packet']) {
  return {
    protocol: p.protocol,
    src: p.src,
    dst: p.dst,
    dport: p.dport,
    sport: p.sport ?? null,
    family: p.family,
    origin: p.origin,
    ctstate: p.ctstate ?? 'NEW',
  };
}

export function outcomeJson(o: Outcome) {
  return {
    probability: o.probability,
    verdict: o.verdict,
    dnat: o.dnat,
    masquerade: o.masquerade,
    path: o.path.map(stepJson),
    assumptions: [...o.assumptions],
    reason: o.reason,
    // Beyond the contract:
    delivery: o.delivery,
    endpointChain: o.endpointChain,
    case: [...o.case],
  };
}

function stepJson(s: PathStep) {
  const step = { table: s.table, chain: s.chain, rule: s.rule, target: s.target, line: s.line };
  // nftables mode: the table's family, the rule's handle, and the map element a lookup matched.
  if (s.nftFamily === undefined) return step;
  return { ...step, family: s.nftFamily, handle: s.handle ?? null, element: s.element ?? null };
}

export function traceJson(r: TraceResult) {
  return { packet: packetJson(r.packet), outcomes: r.outcomes.map(outcomeJson), cases: casesJson(r.outcomes) };
}

/** The cases of a trace: how the undecided matches are taken, and its outcomes by index (chances sum to 1 in each). */
export function casesJson(outcomes: readonly Outcome[]) {
  return traceCases(outcomes).map((c) => ({ assumes: [...c.assumes], outcomes: c.outcomes.map((o) => outcomes.indexOf(o)) }));
}

/** One `doctor --json` finding: the contract's fields only (the family stays internal). */
export function findingJson(f: Finding) {
  return {
    kind: f.kind,
    severity: f.severity,
    service: f.service,
    table: f.table,
    chain: f.chain,
    rule: f.rule,
    message: f.message,
    hint: f.hint,
  };
}

/** `conns --json`: the contract's fields first ({"services": [{id, connections, endpoints}], "unmatched"}), then what is extra. */
export function connectionsJson(report: ConnectionReport, services: readonly ServiceConnections[], entries: number) {
  return {
    services: services.map((s) => ({
      id: s.id,
      connections: s.connections,
      endpoints: s.endpoints.map((e) => ({ address: e.address, connections: e.connections, states: { ...e.states }, masqueraded: e.masqueraded })),
      // Beyond the contract: a dual-stack service has one entry per family.
      family: s.family,
      protocol: s.service.protocol,
    })),
    unmatched: report.unmatched,
    // Beyond the contract: the table's entries, and what the attribution assumed.
    entries,
    assumptions: [...report.assumptions],
  };
}
