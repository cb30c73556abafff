/**
 * skewed-connections (info): a service port whose live connections sit on one endpoint far
 * beyond the share kube-proxy's random split gives it.
 *
 * The rule, per service port with at least SKEW_MIN_CONNECTIONS connections and two or more
 * endpoints: an endpoint with share p (its probability, normalised over the port's endpoints)
 * holding a fraction q of the connections is skewed when
 * - q ≥ p + SKEW_MIN_EXCESS (far beyond: 25 points at least; "twice its share" alone would never
 *   fire for two endpoints), and
 * - chance cannot explain it: were each connection an independent draw, P(X ≥ qN) ≤
 *   exp(-N·KL(q‖p)) (Chernoff), and that bound is below SKEW_MAX_CHANCE (one in a million).
 * Connections are counted in every state (TIME_WAIT included): each was placed when it opened.
 * With session affinity one client's connections all go to one endpoint, so the finding says
 * that it is expected; with a Local traffic policy node-port and load-balancer traffic reaches
 * this node's endpoints only, and it says so too.
 */
import type { ConnectionReport, ServiceConnections } from '../conntrack/attribute.js';
import { finding } from './place.js';
import { serviceChainPlace } from './service-findings.js';
import type { Finding } from './types.js';

export const SKEW_MIN_CONNECTIONS = 20;
export const SKEW_MIN_EXCESS = 0.25;
export const SKEW_MAX_CHANCE = 1e-6;

/** The findings a conntrack table gives (doctor --conntrack, the explorer's Problems screen). */
export function connectionFindings(report: ConnectionReport): Finding[] {
  const out: Finding[] = [];
  for (const s of report.services) {
    const f = skewedConnections(s);
    if (f !== null) out.push(f);
  }
  return out;
}

function skewedConnections(s: ServiceConnections): Finding | null {
  const n = s.connections;
  if (n < SKEW_MIN_CONNECTIONS || s.endpoints.length < 2) return null;
  const total = s.endpoints.reduce((sum, e) => sum + e.probability, 0);
  let worst: { address: string; count: number; q: number; p: number; excess: number } | null = null;
  for (const e of s.endpoints) {
    const p = total > 0 ? e.probability / total : 1 / s.endpoints.length;
    const q = e.connections / n;
    if (q < p + SKEW_MIN_EXCESS || Math.exp(-n * klDivergence(q, p)) >= SKEW_MAX_CHANCE) continue;
    if (worst === null || q - p > worst.excess) worst = { address: e.address, count: e.connections, q, p, excess: q - p };
  }
  if (worst === null) return null;
  const service = s.service;
  const why: string[] = [];
  if (service.sessionAffinitySeconds !== null) {
    why.push(`expected with session affinity (ClientIP, ${service.sessionAffinitySeconds} s): each client's connections all go to one endpoint, so a few busy clients make this`);
  }
  if (service.externalTrafficPolicy === 'Local' || service.internalTrafficPolicy === 'Local') {
    why.push('its traffic policy is Local: traffic through a Local policy reaches this node\'s endpoints only');
  }
  return finding('skewed-connections', 'info', serviceChainPlace(service, service.chains.svc ?? service.chains.svl), {
    service: s.id,
    message:
      `${s.id}: ${worst.count} of its ${n} live connections (${percent(worst.q)}) are on ${worst.address}, whose share of new connections is ${percent(worst.p)}` +
      (why.length > 0 ? `; ${why.join('; ')}` : ''),
    hint:
      service.sessionAffinitySeconds !== null
        ? 'nothing to do unless the load matters: without session affinity new connections would spread by the shares'
        : 'connections are placed when they open: long-lived ones (keep-alive, gRPC, pools) stay where an older endpoint set or a restart put them; reconnect or rebalance the clients, or bound connection lifetimes',
  });
}

/** KL(q‖p) of two Bernoulli distributions, in nats (0·ln 0 = 0). */
function klDivergence(q: number, p: number): number {
  if (p <= 0) return q > 0 ? Infinity : 0;
  if (p >= 1) return q < 1 ? Infinity : 0;
  const term = (a: number, b: number) => (a === 0 ? 0 : a * Math.log(a / b));
  return term(q, p) + term(1 - q, 1 - p);
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}
