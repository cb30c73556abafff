/**
 * No finding a dump does not have: every generated cluster, in every layout and form, gives only
 * the no-endpoints, no-local-endpoints, source-ranges and counting-drop findings its spec says.
 */
import { describe, expect, it } from 'vitest';
import { buildKubeModel, diagnose, type Finding } from '../../src/core/index.js';
import { generateKubeProxyRules, randomClusterSpec, type ClusterSpec, type CountersOption } from '../../src/gen/kubeproxy.js';
import { parseCleanly } from '../helpers/parse.js';

function servicePorts(spec: ClusterSpec) {
  return spec.services.flatMap((s) =>
    s.ports.map((p) => {
      const type = s.type ?? 'ClusterIP';
      const external = type !== 'ClusterIP';
      const lbIPs = type === 'LoadBalancer' ? (s.loadBalancerIPs ?? []) : [];
      const accessible = (external && p.nodePort !== undefined) || lbIPs.length > 0 || (s.externalIPs?.length ?? 0) > 0;
      return {
        id: p.name ? `${s.namespace}/${s.name}:${p.name}` : `${s.namespace}/${s.name}`,
        endpoints: s.endpoints.length,
        localPolicy: external && accessible && s.externalTrafficPolicy === 'Local',
        anyLocal: s.endpoints.some((e) => e.local === true),
        ranges: lbIPs.length > 0 && (s.loadBalancerSourceRanges?.length ?? 0) > 0,
      };
    }),
  );
}

const ids = (fs: readonly Finding[], kind: string) => fs.filter((f) => f.kind === kind).map((f) => f.service).sort();

/** Every rule counts (rule n of a chain: n packets), so every DROP and REJECT rule has counted. */
const EVERY_RULE_COUNTS: CountersOption = (ref) => (ref.rule === null ? [0, 0] : [ref.rule, ref.rule * 60]);

describe('doctor on generated clusters', () => {
  const cases = [
    { seed: 1, services: 150, ipFamily: 'ipv4' as const },
    { seed: 2, services: 150, ipFamily: 'ipv6' as const },
    { seed: 3, services: 400, ipFamily: 'ipv4' as const, largeClusterThreshold: 100 },
  ];
  for (const c of cases) {
    for (const layout of ['current', 'legacy'] as const) {
      for (const form of ['save', 'restore'] as const) {
        it(`seed ${c.seed} (${c.ipFamily}${c.largeClusterThreshold ? ', large-cluster mode' : ''}), ${layout} layout, ${form} form: only what the spec has`, () => {
          const spec = randomClusterSpec({ seed: c.seed, services: c.services, ipFamily: c.ipFamily });
          const counters: CountersOption = form === 'save' ? EVERY_RULE_COUNTS : 'none';
          const text = generateKubeProxyRules(spec, { layout, form, counters, largeClusterThreshold: c.largeClusterThreshold });
          const rs = parseCleanly(text);
          const findings = diagnose(rs, buildKubeModel(rs), { nodeAddresses: [...spec.nodeIPs] });

          const allowed = new Set(['no-endpoints', 'no-local-endpoints', 'source-ranges', 'counting-drop']);
          expect(findings.filter((f) => !allowed.has(f.kind))).toEqual([]);

          const ports = servicePorts(spec);
          const noEndpoints = ports.filter((p) => p.endpoints === 0).map((p) => p.id).sort();
          expect(noEndpoints.length).toBeGreaterThan(0);
          expect(ids(findings, 'no-endpoints')).toEqual(noEndpoints);
          const noLocal = ports.filter((p) => p.endpoints > 0 && p.localPolicy && !p.anyLocal).map((p) => p.id).sort();
          expect(ids(findings, 'no-local-endpoints')).toEqual(noLocal);
          const ranges = ports.filter((p) => p.endpoints > 0 && p.ranges).map((p) => p.id).sort();
          expect(ids(findings, 'source-ranges')).toEqual(ranges);

          // Counted from the text, not the parse: every DROP/REJECT rule line, when every rule counted.
          const dropLines = text.split('\n').filter((l) => /^(\[\d+:\d+\] )?-A \S+ .*-j (DROP|REJECT)( |$)/.test(l)).length;
          const drops = findings.filter((f) => f.kind === 'counting-drop');
          expect(drops).toHaveLength(form === 'save' ? dropLines : 0);
          if (form === 'save') expect(dropLines).toBeGreaterThan(0);
        });
      }
    }
  }
});
