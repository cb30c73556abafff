/**
 * buildNftKubeModel on a hand-written `nft list ruleset` (the text form, as a node prints it):
 * eTP=Local with a local endpoint, iTP=Local, an empty port name, affinity with a pinned client,
 * counters on the dnat rules, a missing endpoint chain; and tables kube-proxy does not own.
 */
import { describe, expect, it } from 'vitest';
import { buildNftKubeModel } from '../../src/core/nft/index.js';
import { ruleset } from './trace-helpers.js';

const WEB = 'AAAAAAAA-ns/web/tcp/http';
const EP1 = 'endpoint-CCCCCCCC-ns/web/tcp/http__10.1.0.1/8080';
const EP2 = 'endpoint-DDDDDDDD-ns/web/tcp/http__10.1.0.2/8080';
const EP3 = 'endpoint-EEEEEEEE-ns/web/tcp/http__10.1.0.3/8080';
const AFF = 'affinity-CCCCCCCC-ns/web/tcp/http__10.1.0.1/8080';
const DNS = 'BBBBBBBB-kube-system/dns/udp/';
const DNS_EP = 'endpoint-FFFFFFFF-kube-system/dns/udp/__10.2.0.1/53';

const TEXT = `table ip filter {
	chain INPUT {
		type filter hook input priority filter; policy accept;
		counter packets 10 bytes 600 jump KUBE-FIREWALL
	}
	chain KUBE-FIREWALL {
	}
}
table ip kp {
	comment "rules for kube-proxy"
	set cluster-ips {
		type ipv4_addr
		elements = { 10.96.0.10, 10.96.0.20 }
	}
	set ${AFF} {
		type ipv4_addr
		flags dynamic,timeout
		timeout 3h
		elements = { 172.16.1.152 expires 2h59m59s776ms }
	}
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { 10.96.0.10 . tcp . 80 : goto service-${WEB},
			     192.0.2.50 . tcp . 80 : goto external-${WEB},
			     10.96.0.20 . udp . 53 : goto local-${DNS} }
	}
	map service-nodeports {
		type inet_proto . inet_service : verdict
		elements = { tcp . 30080 : goto external-${WEB} }
	}
	chain mark-for-masquerade {
		meta mark set meta mark | 0x00004000
	}
	chain external-${WEB} {
		ip saddr 10.0.0.0/8 goto service-${WEB} comment "short-circuit pod traffic"
		fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
		fib saddr type local goto service-${WEB} comment "short-circuit local traffic"
		goto local-${WEB}
	}
	chain service-${WEB} {
		ip daddr 10.96.0.10 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
		ip saddr @${AFF} goto ${EP1}
		numgen random mod 3 vmap { 0 : goto ${EP1}, 1 : goto ${EP2}, 2 : goto ${EP3} }
	}
	chain local-${WEB} {
		numgen random mod 1 vmap { 0 : goto ${EP1} }
	}
	chain ${EP1} {
		ip saddr 10.1.0.1 jump mark-for-masquerade
		update @${AFF} { ip saddr }
		meta l4proto tcp counter packets 7 bytes 420 dnat to 10.1.0.1:8080
	}
	chain ${EP2} {
		meta l4proto tcp counter packets 3 bytes 180 dnat to 10.1.0.2:8080
	}
	chain local-${DNS} {
		numgen random mod 1 vmap { 0 : goto ${DNS_EP} }
	}
	chain ${DNS_EP} {
		meta l4proto udp dnat to 10.2.0.1:53
	}
}
`;

describe('a text-form ruleset with policies, affinity and counters', () => {
  const model = buildNftKubeModel(ruleset(TEXT));

  it('finds kube-proxy\'s table by its content, whatever its name, and nothing in iptables-nft\'s', () => {
    expect(model.services.map((s) => s.id)).toEqual(['kube-system/dns', 'ns/web:http']);
  });

  it('eTP Local with a local endpoint: local from local-… membership, counters summed, a missing endpoint chain named', () => {
    const s = model.byId.get('ns/web:http')!;
    expect(s).toMatchObject({
      clusterIP: '10.96.0.10', port: 80, nodePort: 30080, externalIPs: ['192.0.2.50'],
      externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster', sessionAffinitySeconds: 10800,
      chains: { svc: `service-${WEB}`, ext: `external-${WEB}`, svl: `local-${WEB}` },
      packets: 10, bytes: 600,
    });
    expect(s.endpoints.map((e) => [e.address, e.probability, e.local, e.packets, e.problem])).toEqual([
      ['10.1.0.1:8080', 1 / 3, true, 7, null],
      ['10.1.0.2:8080', 1 / 3, false, 3, null],
      ['10.1.0.3:8080', 1 / 3, false, null, 'missing-endpoint-chain'],
    ]);
    expect(s.endpoints[0]!.nftDnatRule?.text).toContain('dnat to 10.1.0.1:8080');
    expect(s.endpoints.map((e) => e.chain)).toEqual([EP1, EP2, EP3]);
  });

  it('the clients pinned by affinity, with what is left of their timeout', () => {
    const s = model.byId.get('ns/web:http')!;
    expect(s.affinityClients).toHaveLength(1);
    expect(s.affinityClients![0]!.endpoint).toBe('10.1.0.1:8080');
    expect(s.affinityClients![0]!.client).toBe('172.16.1.152');
    expect(s.affinityClients![0]!.expiresInSeconds).toBeCloseTo(10799.776, 3);
  });

  it('iTP Local (service-ips sends the cluster IP to local-…), an empty port name', () => {
    const s = model.byId.get('kube-system/dns')!;
    expect(s).toMatchObject({
      namespace: 'kube-system', name: 'dns', portName: null, protocol: 'udp', clusterIP: '10.96.0.20', port: 53,
      internalTrafficPolicy: 'Local', externalTrafficPolicy: null, chains: { svl: `local-${DNS}` }, packets: null,
    });
    expect(s.endpoints.map((e) => [e.address, e.probability, e.local])).toEqual([['10.2.0.1:53', 1, true]]);
  });

  it('a ruleset without kube-proxy\'s table has no services', () => {
    const m = buildNftKubeModel(ruleset('table inet fw {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n'));
    expect(m).toMatchObject({ services: [], layout: 'none' });
  });
});
