import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalIp, hasControlCharacters, parseConntrack, type ConntrackEntry } from '../../src/core/index.js';
import { fixturesDir } from '../helpers/paths.js';

const fixture = (name: string) => readFileSync(path.join(fixturesDir, 'conntrack', name), 'utf8');

/** Everything of an entry but its line, to compare the three forms. */
const essence = (e: ConntrackEntry) => ({ ...e, line: 0 });
const sorted = (entries: ConntrackEntry[]) => entries.map(essence).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('parseConntrack: real captures (fixtures/conntrack, fixtures/build-conntrack.sh)', () => {
  for (const name of ['seed-nodeport-cluster', 'dual-stack']) {
    it(`${name}: plain, extended and /proc give the same entries, with no warning`, () => {
      const plain = parseConntrack(fixture(`${name}.plain.txt`), 'plain');
      const extended = parseConntrack(fixture(`${name}.extended.txt`), 'extended');
      const proc = parseConntrack(fixture(`${name}.proc.txt`), 'proc');
      for (const t of [plain, extended, proc]) expect(t.warnings).toEqual([]);
      expect(plain.entries.length).toBeGreaterThan(4);
      expect(sorted(extended.entries)).toEqual(sorted(plain.entries));
      expect(sorted(proc.entries)).toEqual(sorted(plain.entries));
      // The trailers (one per family) add up to what was listed; the other forms have none.
      expect(plain.reportedCount).toBe(plain.entries.length);
      expect(extended.reportedCount).toBeNull();
    });
  }

  it('reads TCP, UDP, SCTP and ICMP entries with their states and flags', () => {
    const { entries } = parseConntrack(fixture('seed-nodeport-cluster.plain.txt'), 'f');
    const find = (protocol: string, sport: number | null) => entries.find((e) => e.protocol === protocol && e.original.sport === sport)!;
    expect(find('tcp', 43400)).toMatchObject({
      family: 'ipv4',
      state: 'TIME_WAIT',
      original: { src: '172.16.1.152', dst: '10.32.0.61', sport: 43400, dport: 80 },
      reply: { src: '10.64.2.4', dst: '172.16.1.152', sport: 80, dport: 43400 },
      unreplied: false,
      assured: true,
      mark: 0,
    });
    expect(find('tcp', 43400).timeout).toBeGreaterThan(0);
    expect(find('udp', 5353)).toMatchObject({ state: null, unreplied: true, assured: false });
    expect(find('udp', 5354)).toMatchObject({ state: null, unreplied: false, assured: false });
    expect(find('udp', 5355)).toMatchObject({ state: null, unreplied: false, assured: true });
    expect(find('tcp', 41100)).toMatchObject({ state: 'SYN_SENT', unreplied: true });
    expect(find('sctp', 5000)).toMatchObject({ state: 'ESTABLISHED', original: { dst: '10.32.0.70', dport: 7777 } });
    expect(find('icmp', null)).toMatchObject({ state: null, original: { src: '10.64.2.9', dst: '172.16.1.5', sport: null, dport: null }, unreplied: true });
  });

  it('writes IPv6 addresses as the model does, /proc\'s full form included', () => {
    const { entries } = parseConntrack(fixture('dual-stack.proc.txt'), 'f');
    const e = entries.find((x) => x.original.sport === 41000)!;
    expect(e.family).toBe('ipv6');
    expect(e.original).toEqual({ src: 'fd00:10:244:1::9', dst: 'fd00:10:96::c22', sport: 41000, dport: 80 });
    expect(e.reply.src).toBe('fd00:10:244:1::5');
  });
});

describe('parseConntrack: forms and tolerated fields', () => {
  it('reads an extended line with zone, delta-time, secctx, labels and offload flags', () => {
    const line =
      'ipv4     2 tcp      6 86399 ESTABLISHED src=10.0.0.1 dst=10.96.0.1 sport=1234 dport=443 zone=3 src=10.0.0.9 dst=10.0.0.1 sport=6443 dport=1234 [OFFLOAD] [HW_OFFLOAD] mark=16384 secctx=system_u:object_r:unlabeled_t:s0 zone=3 delta-time=12 labels=0x1 use=2';
    const t = parseConntrack(line, 'f');
    expect(t.warnings).toEqual([]);
    expect(t.entries[0]).toMatchObject({ family: 'ipv4', protocol: 'tcp', state: 'ESTABLISHED', timeout: 86399, mark: 16384, assured: false, line: 1 });
    expect(t.entries[0]!.reply).toEqual({ src: '10.0.0.9', dst: '10.0.0.1', sport: 6443, dport: 1234 });
  });

  it('reads SCTP states, GRE keys, CRLF ends and tabs', () => {
    const text = [
      'sctp     132 3 COOKIE_WAIT src=10.0.0.1 dst=10.96.0.5 sport=5000 dport=7777 [UNREPLIED] src=10.1.0.1 dst=10.0.0.1 sport=7777 dport=5000 mark=0 use=1\r',
      'gre      47 179 src=10.0.0.1 dst=10.0.0.2 srckey=0x0 dstkey=0x0 src=10.0.0.2 dst=10.0.0.1 srckey=0x0 dstkey=0x0 mark=0 use=1',
      'udp\t17 20 src=10.0.0.1 dst=10.96.0.10 sport=53 dport=53 src=10.1.0.2 dst=10.0.0.1 sport=53 dport=53 [ASSURED] mark=0 use=1',
    ].join('\n');
    const t = parseConntrack(text, 'f');
    expect(t.warnings).toEqual([]);
    expect(t.entries.map((e) => [e.protocol, e.state, e.original.dport, e.line])).toEqual([
      ['sctp', 'COOKIE_WAIT', 7777, 1],
      ['gre', null, null, 2],
      ['udp', null, 53, 3],
    ]);
  });

  it('reads IPv6 in the plain form (no family word) and an IPv4-mapped address', () => {
    const t = parseConntrack(
      'tcp      6 10 SYN_SENT src=FD00::0001 dst=fd00:10:96:0:0:0:0:1 sport=1 dport=80 [UNREPLIED] src=fd00:10:244::5 dst=fd00::1 sport=80 dport=1 mark=0 use=1\n' +
        'ipv6 10 udp 17 10 src=::ffff:10.0.0.1 dst=::ffff:10.96.0.10 sport=1 dport=53 src=::ffff:10.1.0.1 dst=::ffff:10.0.0.1 sport=53 dport=1 mark=0 use=1',
      'f',
    );
    expect(t.warnings).toEqual([]);
    expect(t.entries[0]).toMatchObject({ family: 'ipv6', original: { src: 'fd00::1', dst: 'fd00:10:96::1' } });
    expect(t.entries[1]!.original.src).toBe('::ffff:10.0.0.1');
  });

  it('empty input is an empty table', () => {
    expect(parseConntrack('', 'f')).toEqual({ entries: [], warnings: [], reportedCount: null });
    expect(parseConntrack('\n\n  \n', 'f')).toEqual({ entries: [], warnings: [], reportedCount: null });
  });

  it('reads the trailer as the count, not a warning, and other conntrack messages as warnings', () => {
    const t = parseConntrack('conntrack v1.4.4 (conntrack-tools): 0 flow entries have been shown.\n', 'f');
    expect(t).toEqual({ entries: [], warnings: [], reportedCount: 0 });
    const bad = parseConntrack('conntrack v1.4.7 (conntrack-tools): Operation failed: invalid parameters\n', 'f');
    expect(bad.warnings).toMatchObject([{ severity: 'warning', line: 1, column: 1 }]);
    expect(bad.warnings[0]!.message).toContain('conntrack said');
  });
});

describe('parseConntrack: bad lines', () => {
  const good = 'tcp 6 10 ESTABLISHED src=10.0.0.1 dst=10.96.0.1 sport=1 dport=80 src=10.1.0.1 dst=10.0.0.1 sport=80 dport=1 [ASSURED] mark=0 use=1';

  // [what, line, where the warning points (the first occurrence of this text), message]
  const cases: Array<[string, string, string, string]> = [
    ['bad address', 'tcp 6 10 ESTABLISHED src=10.0.0.300 dst=10.96.0.1 sport=1 dport=80 src=10.1.0.1 dst=10.0.0.1 sport=80 dport=1', '10.0.0.300', 'bad address'],
    ['port too big', 'tcp 6 10 ESTABLISHED src=10.0.0.1 dst=10.96.0.1 sport=70000 dport=80 src=10.1.0.1 dst=10.0.0.1 sport=80 dport=1', '70000', 'bad port'],
    ['no reply tuple', 'tcp 6 10 ESTABLISHED src=10.0.0.1 dst=10.96.0.1 sport=1 dport=80 mark=0', 'tcp', 'both directions'],
    ['mixed families', 'tcp 6 10 ESTABLISHED src=10.0.0.1 dst=fd00::1 sport=1 dport=80 src=10.1.0.1 dst=10.0.0.1 sport=80 dport=1', 'tcp', 'families'],
    ['family word disagrees', 'ipv6 10 tcp 6 10 ESTABLISHED src=10.0.0.1 dst=10.96.0.1 sport=1 dport=80 src=10.1.0.1 dst=10.0.0.1 sport=80 dport=1', 'ipv6', 'families'],
    ['lower-case state', 'tcp 6 10 established src=10.0.0.1', 'established', 'bad state'],
    ['stray word', good.replace('[ASSURED]', 'ASSURED'), 'ASSURED', 'key=value'],
    ['bad flag', good.replace('[ASSURED]', '[assured]'), '[assured]', 'bad flag'],
    ['no protocol number', 'tcp src=10.0.0.1', 'tcp', 'protocol number'],
    ['a third src', good + ' src=10.0.0.5', 'src=10.0.0.5', 'third'],
    ['garbage', 'hello world this is not conntrack output at all', 'output', 'unexpected word'],
  ];
  for (const [what, line, at, message] of cases) {
    it(`${what}: a warning at LINE:COL, the line skipped, the others kept`, () => {
      const t = parseConntrack(`${good}\n  ${line}\n${good}`, 'f');
      expect(t.entries.map((e) => e.line)).toEqual([1, 3]);
      expect(t.warnings).toHaveLength(1);
      expect(t.warnings[0]).toMatchObject({ severity: 'warning', line: 2, column: 3 + line.indexOf(at) });
      expect(t.warnings[0]!.message).toContain(message);
    });
  }

  it('hostile input: control characters never reach an entry or a message', () => {
    const hostile = [
      'tcp 6 10 EST\u001b[2JABLISHED src=10.0.0.1 dst=10.96.0.1 sport=1 dport=80 src=10.1.0.1 dst=10.0.0.1 sport=80 dport=1',
      'tcp 6 10 ESTABLISHED src=10.0.0.1\u0007 dst=10.96.0.1 sport=1 dport=80 src=10.1.0.1 dst=10.0.0.1 sport=80 dport=1',
      'tc\u009bp 6 10 ESTABLISHED src=10.0.0.1 dst=10.96.0.1 sport=1 dport=80 src=10.1.0.1 dst=10.0.0.1 sport=80 dport=1',
      good.replace('[ASSURED]', '[\u202eASSURED]'),
      good + ' secctx=\u001b]0;pwned\u0007',
      'conntrack v1 \u001b[31m',
      '\u0000\u0001\u0002',
    ].join('\n');
    const t = parseConntrack(hostile, 'f');
    for (const e of t.entries) expect(hasControlCharacters(JSON.stringify(e))).toBe(false);
    for (const w of t.warnings) expect(hasControlCharacters(w.message)).toBe(false);
    // The secctx line is fine (an unknown field is skipped); every other line is a warning.
    expect(t.entries.map((e) => e.line)).toEqual([5]);
    expect(t.warnings.map((w) => w.line)).toEqual([1, 2, 3, 4, 6, 7]);
  });

  it('never throws on arbitrary text', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pieces = ['tcp', '6', '10', 'ipv4', '2', 'src=', 'dst=10.0.0.1', 'sport=', '80', '[ASSURED]', '[', '=', ' ', '\n', 'fd00::1', '\u0000', 'conntrack v1 (x): 3 flow entries have been shown.'];
    for (let i = 0; i < 500; i++) {
      let text = '';
      for (let j = 0; j < 30; j++) text += pieces[Math.floor(rand() * pieces.length)]! + (rand() < 0.5 ? ' ' : '');
      expect(() => parseConntrack(text, 'f')).not.toThrow();
    }
  });
});

describe('canonicalIp', () => {
  it('writes IPv6 in RFC 5952 form and IPv4 without leading zeros', () => {
    expect(canonicalIp('FD00:0000:0000:0000:0000:0000:0000:0001')).toBe('fd00::1');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalIp('0:0:0:0:0:0:0:0')).toBe('::');
    expect(canonicalIp('010.001.0.1')).toBe('10.1.0.1');
    expect(canonicalIp('10.0.0')).toBeNull();
    expect(canonicalIp('fd00::1::2')).toBeNull();
  });
});
