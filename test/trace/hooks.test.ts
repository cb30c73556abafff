/** The order of hooks and tables, routing after DNAT, packet origin and address families. */
import { describe, expect, it } from 'vitest';
import { BUILTIN_CHAINS, TABLE_NAMES } from '../../src/core/parse/index.js';
import { tracePacket } from '../../src/core/trace/index.js';
import { NODE_IPS, hasAssumption, only, save, steps, trace } from './helpers.js';

/** Every built-in chain of every table logs, so the path shows the order of the walk. */
const everyHookLogs = save(
  TABLE_NAMES.map((t) =>
    [
      `*${t}`,
      ...BUILTIN_CHAINS[t].map((c) => `:${c} ACCEPT [0:0]`),
      ...BUILTIN_CHAINS[t].map((c) => `[0:0] -A ${c} -j LOG`),
      'COMMIT',
    ].join('\n'),
  ).join('\n'),
);

const logged = (o: ReturnType<typeof only>) => steps(o).filter((s) => s.endsWith('>LOG')).map((s) => s.replace(/#1>LOG$/, ''));

describe('kernel order of hooks and tables', () => {
  it('from the network to another host: PREROUTING, FORWARD, POSTROUTING', () => {
    const o = only(trace(everyHookLogs, { src: '10.1.2.3', dst: '10.244.1.5', dport: 80 }));
    expect(logged(o)).toEqual([
      'raw PREROUTING', 'mangle PREROUTING', 'nat PREROUTING',
      'mangle FORWARD', 'filter FORWARD', 'security FORWARD',
      'mangle POSTROUTING', 'nat POSTROUTING',
    ]);
    expect(o.delivery).toBe('forward');
  });

  it('from the network to the node: PREROUTING, then INPUT including nat INPUT', () => {
    const o = only(trace(everyHookLogs, { src: '10.1.2.3', dst: '192.168.0.2', dport: 22 }));
    expect(logged(o)).toEqual([
      'raw PREROUTING', 'mangle PREROUTING', 'nat PREROUTING',
      'mangle INPUT', 'filter INPUT', 'security INPUT', 'nat INPUT',
    ]);
    expect(o.delivery).toBe('local');
  });

  it('generated on the node to another host: OUTPUT, then POSTROUTING', () => {
    const o = only(trace(everyHookLogs, { src: '192.168.0.2', dst: '10.244.1.5', dport: 80 }));
    expect(logged(o)).toEqual([
      'raw OUTPUT', 'mangle OUTPUT', 'nat OUTPUT', 'filter OUTPUT', 'security OUTPUT',
      'mangle POSTROUTING', 'nat POSTROUTING',
    ]);
    expect(o.delivery).toBe('output');
  });

  it('generated on the node to itself: back over loopback, where nat PREROUTING/INPUT are not consulted', () => {
    // Checked against a real kernel (iptables-restore in a network namespace, a TCP connection to
    // 127.0.0.1 and to a node address DNATed in nat OUTPUT): raw/mangle PREROUTING and
    // mangle/filter INPUT count the packets, nat PREROUTING and nat INPUT count nothing, because
    // conntrack already holds both NAT bindings (set in nat OUTPUT and nat POSTROUTING).
    for (const src of ['192.168.0.2', '127.0.0.1']) {
      const o = only(trace(everyHookLogs, { src, dst: src, dport: 22 }));
      expect(logged(o)).toEqual([
        'raw OUTPUT', 'mangle OUTPUT', 'nat OUTPUT', 'filter OUTPUT', 'security OUTPUT',
        'mangle POSTROUTING', 'nat POSTROUTING',
        'raw PREROUTING', 'mangle PREROUTING', 'mangle INPUT', 'filter INPUT', 'security INPUT',
      ]);
      expect(o.delivery).toBe('local');
    }
  });

  it('walks only the tables and chains the dump has', () => {
    const rs = save(`
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -j LOG
      COMMIT
    `);
    const o = only(trace(rs, { src: '10.1.2.3', dst: '192.168.0.2', dport: 22 }));
    expect(o.path).toEqual([]);
    expect(o.verdict).toBe('ACCEPT');
  });
});

describe('origin: nat PREROUTING for arriving packets, nat OUTPUT for the node’s own', () => {
  const rs = save(`
    *nat
    :PREROUTING ACCEPT [0:0]
    :OUTPUT ACCEPT [0:0]
    [0:0] -A PREROUTING -d 10.96.0.10/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.1.1:80
    [0:0] -A OUTPUT -d 10.96.0.10/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.2.2:80
    COMMIT
  `);

  it('a packet from elsewhere is DNATed in PREROUTING and forwarded', () => {
    const r = trace(rs, { src: '10.1.2.3', dst: '10.96.0.10', dport: 80 });
    expect(r.packet.origin).toBe('network');
    expect(only(r).dnat).toBe('10.244.1.1:80');
    expect(only(r).delivery).toBe('forward');
  });

  it('a packet from a node address (or loopback) is DNATed in OUTPUT and sent out', () => {
    for (const src of ['192.168.0.2', '127.0.0.1']) {
      const r = trace(rs, { src, dst: '10.96.0.10', dport: 80 });
      expect(r.packet.origin).toBe('local');
      expect(only(r).dnat).toBe('10.244.2.2:80');
      expect(only(r).delivery).toBe('output');
    }
  });
});

describe('routing on the DNATed destination', () => {
  const rs = save(`
    *nat
    :PREROUTING ACCEPT [0:0]
    [0:0] -A PREROUTING -p tcp --dport 30080 -j DNAT --to-destination 10.244.1.5:8080
    [0:0] -A PREROUTING -p tcp --dport 30081 -j DNAT --to-destination 192.168.0.2:8081
    COMMIT
    *filter
    :INPUT ACCEPT [0:0]
    :FORWARD ACCEPT [0:0]
    [0:0] -A INPUT -p tcp --dport 8081 -j DROP
    [0:0] -A FORWARD -p tcp --dport 8080 -j REJECT
    COMMIT
  `);

  it('a node address DNATed to a pod is forwarded (FORWARD, not INPUT)', () => {
    const o = only(trace(rs, { src: '10.1.2.3', dst: '192.168.0.2', dport: 30080 }));
    expect(o.verdict).toBe('REJECT');
    expect(steps(o).at(-1)).toBe('filter FORWARD#1>REJECT');
  });

  it('a DNAT to a node address is delivered locally (INPUT)', () => {
    const o = only(trace(rs, { src: '10.1.2.3', dst: '10.96.0.10', dport: 30081 }));
    expect(o.verdict).toBe('DROP');
    expect(steps(o).at(-1)).toBe('filter INPUT#1>DROP');
  });
});

describe('address families', () => {
  const both = save(`
    # Generated by iptables-save v1.8.9 (nf_tables) on Thu Nov 27 16:00:00 2025
    *filter
    :FORWARD ACCEPT [0:0]
    [0:0] -A FORWARD -j DROP
    COMMIT
    # Generated by ip6tables-save v1.8.9 (nf_tables) on Thu Nov 27 16:00:00 2025
    *filter
    :FORWARD ACCEPT [0:0]
    [0:0] -A FORWARD -j REJECT
    COMMIT
  `);

  it('an IPv4 packet walks the iptables tables, an IPv6 one the ip6tables tables', () => {
    const v4 = trace(both, { src: '10.1.2.3', dst: '10.96.0.10', dport: 80 });
    expect(v4.packet.family).toBe('ipv4');
    expect(only(v4).verdict).toBe('DROP');
    const v6 = trace(both, { src: 'fd00::5', dst: 'fd00:96::a', dport: 80 });
    expect(v6.packet.family).toBe('ipv6');
    expect(only(v6).verdict).toBe('REJECT');
  });

  it('::1 and the node’s IPv6 addresses are local', () => {
    expect(trace(both, { src: '::1', dst: 'fd00:96::a', dport: 80 }).packet.origin).toBe('local');
    expect(trace(both, { src: '2001:db8::2', dst: 'fd00:96::a', dport: 80 }).packet.origin).toBe('local');
  });

  it('a family the dump has no tables for passes, and says so', () => {
    const v4only = save(`
      *filter
      :FORWARD DROP [0:0]
      COMMIT
    `);
    const o = only(trace(v4only, { src: 'fd00::5', dst: 'fd00:96::a', dport: 80 }));
    expect(o.verdict).toBe('ACCEPT');
    expect(hasAssumption(o, 'no ip6tables')).toBe(true);
  });
});

describe('the packet', () => {
  const rs = save(`
    *filter
    :FORWARD ACCEPT [0:0]
    COMMIT
  `);

  it('is echoed with its defaults, family and origin', () => {
    const r = trace(rs, { src: '10.1.2.3', dst: '10.96.0.10', dport: 80 });
    expect(r.packet).toEqual({
      protocol: 'tcp', src: '10.1.2.3', dst: '10.96.0.10', dport: 80, sport: 40000,
      ctstate: 'NEW', inInterface: 'eth0', family: 'ipv4', origin: 'network',
    });
  });

  it('gives an error value, not an exception, for a packet that cannot be traced', () => {
    const node = { localAddresses: NODE_IPS };
    const mixed = tracePacket(rs, { protocol: 'tcp', src: '10.1.2.3', dst: 'fd00::1', dport: 80 }, node);
    expect(mixed.error).toMatch(/different families/);
    expect(mixed.outcomes).toEqual([]);
    expect(tracePacket(rs, { protocol: 'tcp', src: '10.1.2.300', dst: '10.0.0.1', dport: 80 }, node).error).toMatch(/not an IP/);
    expect(tracePacket(rs, { protocol: 'tcp', src: '10.1.2.3', dst: '10.0.0.1', dport: 70000 }, node).error).toMatch(/not a port/);
  });
});
