/** Issue 14, point 4: filter terms (ep:, local:, type:, policy:, ns:, problems) that combine with the fuzzy text. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateKubeProxyRules, type ClusterSpec, type ServiceSpec } from '../../src/gen/kubeproxy.js';
import type { ExplorerData } from '../../src/tui/model/explorer-data.js';
import { parseServiceFilter } from '../../src/tui/model/filter-terms.js';
import { servicesView } from '../../src/tui/model/views.js';
import { KEY, lines, renderApp, textData, type Rendered } from './harness.js';

const N = 400;

/**
 * 400 services: every 7th has no endpoints, every 5th is a NodePort with policy Local whose
 * endpoints are all on other nodes when i % 10 === 5, every 50th a LoadBalancer; namespaces
 * prod, dev, kube-system in turn.
 */
function spec(): ClusterSpec {
  const services: ServiceSpec[] = [];
  for (let i = 0; i < N; i++) {
    const ns = ['prod', 'dev', 'kube-system'][i % 3]!;
    const lb = i % 50 === 0;
    const nodePort = !lb && i % 5 === 0;
    const endpoints = i % 7 === 0 ? [] : [{ ip: `10.244.${i >> 8}.${i & 255}`, local: i % 10 !== 5 }, { ip: `10.245.${i >> 8}.${i & 255}`, local: false }];
    services.push({
      namespace: ns,
      name: i % 4 === 0 ? `postgres-${i}` : `web-${i}`,
      type: lb ? 'LoadBalancer' : nodePort ? 'NodePort' : 'ClusterIP',
      clusterIP: `10.96.${i >> 8}.${i & 255}`,
      ports: [{ port: 80, targetPort: 8080, ...(lb || nodePort ? { nodePort: 30000 + i } : {}) }],
      ...(lb ? { loadBalancerIPs: [`203.0.113.${(i / 50) | 0}`] } : {}),
      ...(nodePort ? { externalTrafficPolicy: 'Local' as const } : {}),
      endpoints,
    });
  }
  return { nodeIPs: ['172.16.1.10'], services };
}

let data: ExplorerData;
let app: Rendered | null = null;

beforeAll(() => {
  data = textData(generateKubeProxyRules(spec()), 'generated-400.save', ['172.16.1.10']);
}, 60_000);

afterEach(() => {
  app?.unmount();
  app = null;
});

const ids = (filter: string) => servicesView(data, filter, 'id').map((r) => r.service.id);
const names = (pred: (i: number) => boolean, nsOf = (i: number) => ['prod', 'dev', 'kube-system'][i % 3]!) =>
  Array.from({ length: N }, (_, i) => i).filter(pred).map((i) => `${nsOf(i)}/${i % 4 === 0 ? `postgres-${i}` : `web-${i}`}`).sort();

describe('services filter terms (issue 14 point 4)', () => {
  it('ep:0 keeps exactly the services without endpoints', () => {
    expect(ids('ep:0').sort()).toEqual(names((i) => i % 7 === 0));
    expect(ids('ep:2').sort()).toEqual(names((i) => i % 7 !== 0));
    expect(ids('ep:>0').length).toBe(N - names((i) => i % 7 === 0).length);
  });

  it('local:0 keeps the Local-policy services with no endpoint on this node, never a service whose locality is unknown', () => {
    // Without endpoints kube-proxy writes only a REJECT: the dump shows no policy, so those are not counted.
    expect(ids('local:0').sort()).toEqual(names((i) => i % 50 !== 0 && i % 5 === 0 && i % 7 !== 0 && i % 10 === 5));
    // Cluster-policy ClusterIP services have no SVL chain: the dump does not say which endpoints are local.
    for (const id of ids('local:0')) expect(id).not.toMatch(/web-1$/);
  });

  it('type: and policy: take the type and traffic policy, prefixes too', () => {
    // The TYPE column's type: a LoadBalancer without endpoints shows no load-balancer IP rule, so it reads as NodePort.
    const ofType = (t: string) => data.serviceRows.filter((r) => r.type === t).map((r) => r.service.id).sort();
    expect(ids('type:nodeport').sort()).toEqual(ofType('NodePort'));
    expect(ofType('NodePort')).toEqual(expect.arrayContaining(names((i) => i % 50 !== 0 && i % 5 === 0)));
    expect(ids('type:lb').sort()).toEqual(ofType('LoadBalancer'));
    expect(ids('type:lb').length).toBeGreaterThan(0);
    expect(ids('type:loadbal')).toEqual(ids('type:loadbalancer'));
    expect(ids('type:clusterip').length).toBe(N - ids('type:nodeport').length - ids('type:lb').length);
    expect(ids('policy:local').sort()).toEqual(names((i) => i % 50 !== 0 && i % 5 === 0 && i % 7 !== 0));
    expect(ids('policy:cluster').sort()).toEqual(data.serviceRows.filter((r) => r.service.externalTrafficPolicy === 'Cluster').map((r) => r.service.id).sort());
    expect(ids('policy:cluster').length).toBeGreaterThan(0);
  });

  it('ns: and fuzzy text combine: every term holds and the words filter as before', () => {
    expect(ids('ns:dev').sort()).toEqual(names((i) => i % 3 === 1));
    expect(ids('ns:dev ep:0 postgres').sort()).toEqual(names((i) => i % 3 === 1 && i % 7 === 0 && i % 4 === 0));
    // "nodeport" as a term, not a fuzzy match of prod/postgres-*.
    expect(ids('type:nodeport postgres').every((id) => /postgres/.test(id))).toBe(true);
  });

  it('problems keeps the services doctor names, and a bad value says what it expects', () => {
    const problems = ids('problems');
    // Every service without endpoints is a no-endpoints finding.
    for (const id of ids('ep:0')) expect(problems).toContain(id);
    expect(parseServiceFilter('type:foo').error).toMatch(/type: expects clusterip, nodeport, loadbalancer or external/);
    expect(ids('type:foo')).toEqual([]);
    // A term still being typed keeps everything.
    expect(ids('type:').length).toBe(N);
  });

  it('at 80x24: /ep:0 shows the count kept, and an empty result lists the terms', async () => {
    app = await renderApp({ data, color: false });
    await app.waitFor((f) => f.includes('service ports · sort'), 'the services screen');
    await app.press('/', ...'ep:0');
    const kept = names((i) => i % 7 === 0).length;
    const f = await app.waitFor((x) => x.includes(`${kept} of ${N} service ports`), 'the kept count');
    expect(lines(f).length).toBe(23);
    await app.press(KEY.esc, '/', ...'type:foo');
    expect(app.frame()).toContain('type: expects clusterip');
    await app.press(KEY.esc, '/', ...'local');
    expect(app.frame()).toContain('(terms: ep:N local:N');
  });
});
