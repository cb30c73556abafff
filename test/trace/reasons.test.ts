/** Reasons in plain words, from kube-proxy's own rule comments. */
import { describe, expect, it } from 'vitest';
import { describeStep } from '../../src/core/trace/index.js';
import { only, save, trace } from './helpers.js';

describe('reasons for drops and rejects (current layout)', () => {
  const rs = save(`
    *filter
    :INPUT ACCEPT [0:0]
    :FORWARD ACCEPT [0:0]
    :KUBE-EXTERNAL-SERVICES - [0:0]
    :KUBE-PROXY-FIREWALL - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-FORWARD - [0:0]
    [0:0] -A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
    [0:0] -A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
    [0:0] -A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
    [0:0] -A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
    [0:0] -A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
    [0:0] -A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/nginx has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
    [0:0] -A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/nginx has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30783 -j DROP
    [0:0] -A KUBE-PROXY-FIREWALL -d 198.51.100.7/32 -p tcp -m comment --comment "default/lb traffic not accepted by KUBE-FW-ABCDEFGHIJKLMNOP" -m tcp --dport 443 -j DROP
    [0:0] -A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
    [0:0] -A KUBE-FORWARD -d 10.96.0.99/32 -m comment --comment "block this one" -j DROP
    COMMIT
  `);
  const from = '203.0.113.9';

  it('REJECT for a service without endpoints', () => {
    const o = only(trace(rs, { src: from, dst: '10.96.0.20', dport: 80 }));
    expect(o.verdict).toBe('REJECT');
    expect(o.reason).toBe('default/nginx has no endpoints');
  });

  it('DROP for externalTrafficPolicy: Local without a local endpoint', () => {
    const o = only(trace(rs, { src: from, dst: '192.168.0.2', dport: 30783 }));
    expect(o.verdict).toBe('DROP');
    expect(o.reason).toBe('default/nginx has no local endpoints (externalTrafficPolicy: Local and no endpoint on this node)');
  });

  it('DROP for a source outside loadBalancerSourceRanges', () => {
    const o = only(trace(rs, { src: from, dst: '198.51.100.7', dport: 443 }));
    expect(o.verdict).toBe('DROP');
    expect(o.reason).toMatch(/^source not in loadBalancerSourceRanges of default\/lb/);
  });

  it('other commented drops name the rule; uncommented ones have no reason', () => {
    expect(only(trace(rs, { src: from, dst: '10.96.0.99', dport: 80 })).reason).toBe(
      'dropped by filter KUBE-FORWARD rule 2 (block this one)',
    );
    const invalid = only(trace(rs, { src: from, dst: '10.96.0.98', dport: 80, ctstate: 'INVALID' }));
    expect(invalid.verdict).toBe('DROP');
    expect(invalid.reason).toBeNull();
  });

  it('an accepted packet that was not masqueraded has no reason', () => {
    expect(only(trace(rs, { src: from, dst: '10.96.0.21', dport: 80 })).reason).toBeNull();
  });
});

describe('older layout: KUBE-FW ending in KUBE-MARK-DROP, dropped by KUBE-FIREWALL', () => {
  const rs = save(`
    *nat
    :PREROUTING ACCEPT [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-FW-ABCDEFGHIJKLMNOP - [0:0]
    :KUBE-MARK-DROP - [0:0]
    :KUBE-SVC-ABCDEFGHIJKLMNOP - [0:0]
    [0:0] -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
    [0:0] -A KUBE-SERVICES -d 192.168.0.50/32 -p tcp -m comment --comment "default/lb:https loadbalancer IP" -m tcp --dport 443 -j KUBE-FW-ABCDEFGHIJKLMNOP
    [0:0] -A KUBE-FW-ABCDEFGHIJKLMNOP -s 203.0.113.0/25 -m comment --comment "default/lb:https loadbalancer IP" -j KUBE-SVC-ABCDEFGHIJKLMNOP
    [0:0] -A KUBE-FW-ABCDEFGHIJKLMNOP -m comment --comment "default/lb:https loadbalancer IP" -j KUBE-MARK-DROP
    [0:0] -A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000
    [0:0] -A KUBE-SVC-ABCDEFGHIJKLMNOP -j DNAT --to-destination 10.244.3.3:8443
    COMMIT
    *filter
    :INPUT ACCEPT [0:0]
    :KUBE-FIREWALL - [0:0]
    [0:0] -A INPUT -j KUBE-FIREWALL
    [0:0] -A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP
    COMMIT
  `);
  const node = ['192.168.0.2', '192.168.0.50'];

  it('names the rule that marked the packet, then the KUBE-FIREWALL drop', () => {
    const o = only(trace(rs, { src: '203.0.113.200', dst: '192.168.0.50', dport: 443 }, {}, node));
    expect(o.verdict).toBe('DROP');
    expect(o.reason).toBe(
      'marked for drop by KUBE-MARK-DROP (KUBE-FW-ABCDEFGHIJKLMNOP rule 2: default/lb:https loadbalancer IP), dropped by filter KUBE-FIREWALL rule 1',
    );
  });

  it('lets an allowed source through to the endpoint', () => {
    const o = only(trace(rs, { src: '203.0.113.20', dst: '192.168.0.50', dport: 443 }, {}, node));
    expect(o.verdict).toBe('ACCEPT');
    expect(o.dnat).toBe('10.244.3.3:8443');
    expect(o.delivery).toBe('forward');
  });
});

describe('describeStep', () => {
  it('reads a rule step and a policy step', () => {
    expect(describeStep({ table: 'nat', chain: 'KUBE-SERVICES', rule: 3, target: 'KUBE-SVC-X', line: 9, comment: 'default/nginx cluster IP' })).toBe(
      'nat KUBE-SERVICES rule 3 -> KUBE-SVC-X (default/nginx cluster IP)',
    );
    expect(describeStep({ table: 'filter', chain: 'A', rule: 1, target: 'B', line: 4, goto: true })).toBe('filter A rule 1 -g B');
    expect(describeStep({ table: 'filter', chain: 'FORWARD', rule: null, target: 'policy DROP', line: 2 })).toBe('filter FORWARD policy DROP');
  });
});
