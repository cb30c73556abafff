/**
 * The explorer's service tree and `which` trace the same probes (core/entry-probes.ts): the same
 * packets to the same entry points, from the same stand-in client and node.
 */
import { describe, expect, it } from 'vitest';
import { whichService } from '../../src/core/index.js';
import { tracePacket } from '../../src/core/trace/index.js';
import { traceEntries } from '../../src/tui/model/service-tree.js';
import { fixtureData } from './harness.js';

const FIXTURES = ['seed-nodeport-cluster.save', 'loadbalancer-source-ranges.save', 'dual-stack.save', 'old-layout.save'];

describe('entry probes: the service tree asks what which asks', () => {
  it.each(FIXTURES.flatMap((f) => [[f, []], [f, ['172.16.1.10']]] as const))('%s, node addresses %j', (fixture, nodeAddresses) => {
    const data = fixtureData(fixture, nodeAddresses);
    let compared = 0;
    for (const service of data.model.services) {
      const which = whichService(data.ruleset, service, { nodeAddresses, client: null }, tracePacket).probes.filter((p) => p.entry !== null);
      const tree = traceEntries(data, service);
      expect(tree.map((t) => [t.entry, t.request.src, t.request.dst, t.request.dport, t.localAddresses])).toEqual(
        which.map((p) => [p.entry, p.packet.src, p.packet.dst, p.packet.dport, p.node.localAddresses]),
      );
      expect(tree.map((t) => t.outcomes)).toEqual(which.map((p) => p.result.outcomes));
      compared += tree.length;
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('probes a load balancer with source ranges from inside them, in the tree too', () => {
    const data = fixtureData('loadbalancer-source-ranges.save', ['172.16.1.10']);
    const service = data.model.byId.get('default/ingress:http')!;
    expect(service.loadBalancerSourceRanges).toContain('198.51.100.0/24');
    const lb = traceEntries(data, service).filter((t) => t.entry.kind === 'loadBalancer');
    expect(lb.length).toBeGreaterThan(0);
    for (const t of lb) expect(t.request.src).toBe('198.51.100.1');
  });
});
