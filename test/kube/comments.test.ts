/** Reading service ids out of kube-proxy's comments, and the rule-text scanner the model uses. */
import { describe, expect, it } from 'vitest';
import { serviceIdFromComment, splitServiceId, entryComment } from '../../src/core/kube/index.js';
import { optionWord, scanRule } from '../../src/core/kube/scan.js';

describe('serviceIdFromComment', () => {
  it('reads every comment form kube-proxy writes, current and older', () => {
    const forms: [string, string][] = [
      ['ns1/svc1:p80 cluster IP', 'ns1/svc1:p80'],
      ['ns2/svc2:p80 external IP', 'ns2/svc2:p80'],
      ['ns2/svc2:p80 loadbalancer IP', 'ns2/svc2:p80'],
      ['ns6/svc6:p80 has no endpoints', 'ns6/svc6:p80'],
      ['ns2/svc2:p80 has no local endpoints', 'ns2/svc2:p80'],
      ['ns2/svc2:p80 health check node port', 'ns2/svc2:p80'],
      ['ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C', 'ns5/svc5:p80'],
      ['ns4/svc4:p80 -> 10.180.0.4:80', 'ns4/svc4:p80'],
      ['masquerade traffic for ns4/svc4:p80 external destinations', 'ns4/svc4:p80'],
      ['pod traffic for ns2/svc2:p80 external destinations', 'ns2/svc2:p80'],
      ['masquerade LOCAL traffic for ns2/svc2:p80 external destinations', 'ns2/svc2:p80'],
      ['route LOCAL traffic for default/web:http LB IP to service chain', 'default/web:http'],
      ['other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL', 'ns5/svc5:p80'],
      ['Balancing rule 0 for default/web:http', 'default/web:http'],
      ['default/nginx', 'default/nginx'],
      ['default/nginx-svc:', 'default/nginx-svc:'],
    ];
    for (const [comment, id] of forms) expect(serviceIdFromComment(comment), comment).toBe(id);
  });

  it('refuses comments that name no service', () => {
    for (const c of [
      'kubernetes service portals',
      'kubernetes service nodeports; NOTE: this must be the last rule in this chain',
      'Redirect pods trying to reach external loadbalancer VIP to clusterIP',
      'cali:6gwbT8clXdHdC1b1',
      'a/b/c',
      '/x',
    ]) {
      expect(serviceIdFromComment(c), c).toBeNull();
    }
  });

  it('tells the entry kind from a KUBE-SERVICES comment', () => {
    expect(entryComment('ns/a:p cluster IP')).toEqual({ id: 'ns/a:p', kind: 'clusterIP' });
    expect(entryComment('ns/a:p loadbalancer IP')).toEqual({ id: 'ns/a:p', kind: 'loadBalancer' });
    expect(entryComment('ns/a:p')).toBeNull();
  });

  it('splits ids', () => {
    expect(splitServiceId('kube-system/kube-dns:dns-tcp')).toEqual({ namespace: 'kube-system', name: 'kube-dns', portName: 'dns-tcp' });
    expect(splitServiceId('default/nginx')).toEqual({ namespace: 'default', name: 'nginx', portName: null });
  });
});

describe('scanRule', () => {
  it('reads the options of an iptables-save rule', () => {
    const f = scanRule(
      '-A KUBE-SVC-X ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-MARK-MASQ',
    );
    expect([f.source, f.sourceNegated, f.destination, f.destinationNegated, f.protocol, f.dport]).toEqual([
      '10.244.0.0/16', true, '10.96.0.10/32', false, 'udp', '53',
    ]);
    expect(f.comment).toBe('kube-system/kube-dns:dns cluster IP');
    expect(f.conditions).toBeGreaterThan(0);
  });

  it('counts a comment-only jump as unconditional and reads an unquoted multi-word comment', () => {
    const f = scanRule('-A KUBE-EXT-X -m comment --comment masquerade traffic for ns/a:p external destinations -j KUBE-MARK-MASQ');
    expect(f.comment).toBe('masquerade traffic for ns/a:p external destinations');
    expect(f.conditions).toBe(0);
  });

  it('reads recent and statistic options, skipping flags it does not list', () => {
    const f = scanRule(
      '-A KUBE-SVC-S -m comment --comment "a/b:c -> 10.0.0.1:80" -m recent --rcheck --seconds 3600 --reap --name KUBE-SEP-A --mask 255.255.255.255 --rsource -j KUBE-SEP-A',
    );
    expect([f.rcheck, f.seconds]).toEqual([true, '3600']);
    const g = scanRule('-A KUBE-SEP-A -p tcp -m recent --set --name KUBE-SEP-A --rsource -m tcp -j DNAT --to-destination [fd00::1]:80');
    expect([g.protocol, g.toDestination]).toEqual(['tcp', '[fd00::1]:80']);
    expect(scanRule('-A X -m statistic --mode random --probability 0.33333333349 -j Y').probability).toBe('0.33333333349');
  });

  it('optionWord ignores option names inside quoted comments', () => {
    const text = '-A KUBE-SEP-A -m comment --comment "fake --to-destination 1.1.1.1:1" -p tcp -j DNAT --to-destination 10.0.0.1:80';
    expect(optionWord(text, '--to-destination')).toBe('10.0.0.1:80');
    expect(optionWord('-A X -j DNAT --to-destination 10.0.0.1:80', '--probability')).toBeUndefined();
  });
});
