/**
 * Hostile input, end to end: each input is written to a temp file and given to the built bin as
 * a real process (services, and which/chain/trace where they make sense). Bad input is exit 2
 * with `FILE:LINE:COL: error: MESSAGE` first (or one `kubechains: ...` line when the file cannot
 * be read at all), a dump with a warning still answers; never a stack trace, never a hang, never
 * a raw control character on the terminal (design.md, "Reliability and safety").
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, run } from '../cli/harness.js';
import { expectParseError, expectSane, expectSourceError, kubechains, type ProcResult } from './process.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-hostile-'));
// Other users (the permission test runs as nobody) must reach the files.
chmodSync(tmp, 0o755);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const seed = readFileSync(fixture('seed-nodeport-cluster.save'), 'utf8');
const seedLines = seed.split('\n');
/** 1-based number of the first line of `text` that contains `needle`. */
const lineOf = (text: string, needle: string): number => {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`no line with ${needle}`);
  return i + 1;
};

function write(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  writeFileSync(p, content);
  return p;
}

/** The batch commands, with the dump in SOURCE position. */
const COMMANDS: ReadonlyArray<(file: string) => string[]> = [
  (f) => ['services', f],
  (f) => ['which', 'x', f],
  (f) => ['chain', 'KUBE-SERVICES', f],
  (f) => ['trace', f, '--dst', '10.0.0.1:80'],
  (f) => ['doctor', f],
  // The rules are read before the conntrack table: a bad dump is refused the same way.
  (f) => ['conns', f, '--conntrack', fixture('conntrack/seed-nodeport-cluster.plain.txt')],
];

/** main() in-process, shaped like a process result (the dump is refused before any command runs, so one real process per input is enough). */
async function inProcess(argv: string[]): Promise<ProcResult> {
  const r = await run(argv);
  return {
    code: r.code,
    signal: null,
    timedOut: false,
    stdout: r.stdout,
    stderr: r.stderr,
    stdoutBytes: Buffer.from(r.stdout),
    stderrBytes: Buffer.from(r.stderr),
  };
}

/**
 * `services` as a real process, and which/chain/trace/doctor in-process: each must fail the same way,
 * with the same first line. Returns that line.
 */
async function expectRefusedByAll(file: string, line: number, column: number, message: RegExp): Promise<string> {
  const runs = await Promise.all(COMMANDS.map((argv, i) => (i === 0 ? kubechains(argv(file)) : inProcess(argv(file)))));
  const firsts = runs.map((r, i) => expectParseError(r, COMMANDS[i]!(file).join(' '), file, line, column, message));
  expect(new Set(firsts).size).toBe(1);
  return firsts[0]!;
}

/** mulberry32: the same "random" bytes on every machine. */
function randomBytes(seedValue: number, n: number): Buffer {
  let a = seedValue >>> 0;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/** Service ids of `services --json`. */
function serviceIds(r: ProcResult): string[] {
  return (JSON.parse(r.stdout) as { services: { id: string }[] }).services.map((s) => s.id);
}

describe('not a dump at all: exit 2, FILE:LINE:COL first', () => {
  it('an empty file', async () => {
    await expectRefusedByAll(write('empty.save', ''), 1, 1, /^empty input: no iptables-save tables found$/);
  });

  it('an HTML page (an error page saved instead of the dump), at its first tag', async () => {
    const file = write('page.html', '\n   <!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>\n');
    await expectRefusedByAll(file, 2, 4, /^this looks like HTML, not an iptables-save dump$/);
  });

  it('binary data: random bytes with NULs, an executable, text that runs into a NUL', async () => {
    const random = randomBytes(42, 64 * 1024);
    for (let i = 0; i < random.length; i += 97) random[i] = 0;
    const r = await kubechains(['services', write('random.bin', random)]);
    expectSane(r, 'random');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^.*random\.bin:\d+:\d+: error: binary data \(.*\): not an iptables-save dump$/);
    // Binary data is one message, not fifty "unexpected line" errors.
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);

    await expectRefusedByAll(write('ls.elf', Buffer.from('7f454c4602010100000000000000000003003e00', 'hex')), 1, 1, /^binary data \(control character 0x7f\): not an iptables-save dump$/);
    await expectRefusedByAll(write('nul.save', Buffer.from('abc\0def\n*nat\nCOMMIT\n')), 1, 4, /^binary data \(NUL byte\): not an iptables-save dump$/);
    // A NUL deep inside an otherwise good dump: named where it is.
    const at = lineOf(seed, '-A KUBE-SERVICES -d 10.32.0.10/32 -p udp');
    const withNul = seedLines.map((l, i) => (i === at - 1 ? l.replace('-d 10.32', '-d \u000010.32') : l)).join('\n');
    const col = seedLines[at - 1]!.indexOf('10.32') + 1;
    await expectRefusedByAll(write('nul-inside.save', withNul), at, col, /^binary data \(NUL byte\): not an iptables-save dump$/);
  });

  it('a gzip-compressed dump says it is compressed and how to read it', async () => {
    const first = await expectRefusedByAll(write('dump.save.gz', gzipSync(seed)), 1, 1, /^binary data \(gzip-compressed\), not an iptables-save dump: decompress it first \(zcat FILE\)$/);
    expect(first).toContain('compressed');
  });

  it('an `iptables -L -n` listing (no -v: no interfaces, no counters) says what it is and what to run instead', async () => {
    const listing = [
      'Chain PREROUTING (policy ACCEPT)',
      'target     prot opt source               destination',
      'KUBE-SERVICES  all  --  0.0.0.0/0            0.0.0.0/0            /* kubernetes service portals */',
      '',
    ].join('\n');
    await expectRefusedByAll(write('listing.txt', listing), 1, 1, /^this is an `iptables -L` listing without -v, which leaves out interfaces and counters: run `iptables -L -n -v -x` or, better, `iptables-save -c`$/);
  });

  it('an `iptables -L -n -v` listing with a match it cannot read back: refused at that column', async () => {
    const row = '21184 4212K KUBE-SERVICES  all  --  *      *       0.0.0.0/0            0.0.0.0/0            limit: avg 3/min burst 5';
    const listing = ['Chain PREROUTING (policy ACCEPT 9 packets, 1100 bytes)', ' pkts bytes target     prot opt in     out     source               destination', row, ''].join('\n');
    await expectRefusedByAll(write('listing-limit.txt', listing), 3, row.indexOf('limit:') + 1, /^cannot read "limit: avg" in this `iptables -L` listing/);
  });

  it('an `nft list ruleset` text cut short (a table never closed), also after iptables-nft\'s warning comment: refused at the open brace', async () => {
    const nft = 'table ip nat {\n\tchain PREROUTING {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tcounter packets 0 bytes 0 jump KUBE-SERVICES\n\t}\n';
    const message = /^unbalanced braces: the "\{" at 1:14 is never closed \(truncated input\?\)$/;
    await expectRefusedByAll(write('ruleset.nft', nft), 1, 14, message);
    const warned = '# Warning: iptables-legacy tables present, use iptables-legacy to see them\n' + nft;
    await expectRefusedByAll(write('warned.nft', warned), 2, 14, /^unbalanced braces: the "\{" at 2:14 is never closed \(truncated input\?\)$/);
  });
});

describe('a broken dump: exit 2 at the line and column that is wrong', () => {
  it('a dump truncated mid-table (no COMMIT), cut between lines', async () => {
    const cutAt = lineOf(seed, '-A KUBE-SVC-2CMXP7HKUVJN7L6M');
    const text = seedLines.slice(0, cutAt).join('\n') + '\n';
    const natLine = lineOf(seed, '*nat');
    await expectRefusedByAll(write('truncated.save', text), cutAt, 1, new RegExp(`^truncated dump: table nat \\(line ${natLine}\\) has no COMMIT$`));
  });

  it('a dump truncated in the middle of a line (inside a quoted comment)', async () => {
    const cutLine = lineOf(seed, '-A KUBE-SVC-2CMXP7HKUVJN7L6M');
    const lineText = seedLines[cutLine - 1]!;
    const quote = lineText.indexOf('"default/nginx');
    const text = seedLines.slice(0, cutLine - 1).join('\n') + '\n' + lineText.slice(0, quote + 8);
    const file = write('cut.save', text);
    const first = await expectRefusedByAll(file, cutLine, quote + 1, /^unbalanced quote: no closing "$/);
    expect(first).toBeDefined();
    const r = await kubechains(['services', file]);
    expect(r.stderr).toContain(`${file}:${cutLine}:1: error: truncated dump: table nat (line ${lineOf(seed, '*nat')}) has no COMMIT`);
  });

  it('a rule before any table', async () => {
    const text = '# Generated by iptables-save v1.8.9 (nf_tables)\n[0:0] -A PREROUTING -j KUBE-SERVICES\n' + seed;
    await expectRefusedByAll(write('before.save', text), 2, 1, /^rule outside a table \(no \*table line before it\)$/);
  });

  it('an unknown table', async () => {
    const text = seed.replace('*mangle', '*mangel');
    await expectRefusedByAll(write('unknown.save', text), lineOf(seed, '*mangle'), 2, /^unknown table "mangel" \(iptables has raw, mangle, nat, filter, security\)$/);
  });

  it('unbalanced quotes', async () => {
    const text = seed.replace('--comment "default/nginx" -m tcp --dport 30783', '--comment "default/nginx -m tcp --dport 30783');
    const at = lineOf(seed, '--dport 30783');
    const col = seedLines[at - 1]!.indexOf('"default/nginx"') + 1;
    await expectRefusedByAll(write('quote.save', text), at, col, /^unbalanced quote: no closing "$/);
  });

  it('a 10 MB line', async () => {
    const long = '[0:0] -A KUBE-SERVICES -m comment --comment "' + 'x'.repeat(10 * 1024 * 1024) + '" -j RETURN';
    const at = lineOf(seed, '-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.64.1.3:53"') + 1;
    const text = [...seedLines.slice(0, at - 1), long, ...seedLines.slice(at - 1)].join('\n');
    expect(text.split('\n')[at - 1]).toBe(long);
    await expectRefusedByAll(write('long.save', text), at, 1024 * 1024 + 1, new RegExp(`^line is ${long.length} characters long`));
  });

  it('a file name with escape sequences is shown escaped in the message', async () => {
    const file = write('evil\u001b]0;pwned\u0007\u009b2J.save', '<html>\n');
    const r = await kubechains(['services', file]);
    const shown = path.join(tmp, 'evil\\x1b]0;pwned\\x07\\x9b2J.save');
    expectParseError(r, 'evil name', shown, 1, 1, /HTML/);
  });
});

/** The seed's table as `iptables -t TABLE -S -v` prints it: -P and -N for declarations, `-c P B` before the target. */
function asIptablesS(dump: string, table: string): string {
  const lines = dump.split('\n');
  const from = lines.indexOf(`*${table}`);
  const to = lines.indexOf('COMMIT', from);
  return lines.slice(from + 1, to).map((l) => {
    const decl = /^:(\S+) (\S+) \[(\d+):(\d+)\]$/.exec(l);
    if (decl) return decl[2] === '-' ? `-N ${decl[1]}` : `-P ${decl[1]} ${decl[2]} -c ${decl[3]} ${decl[4]}`;
    const rule = /^\[(\d+):(\d+)\] (.*?)( -[jg] .*)?$/.exec(l);
    if (!rule) throw new Error(`not a seed line: ${l}`);
    return `${rule[3]} -c ${rule[1]} ${rule[2]}${rule[4] ?? ''}`;
  }).join('\n') + '\n';
}

describe('`iptables -S` output and grep output load, with a warning that names the table assumed', () => {
  it('`iptables -t nat -S -v` of the seed: exit 0, one warning at 1:1, the same services as the dump', async () => {
    const file = write('nat-S.txt', asIptablesS(seed, 'nat'));
    const services = await kubechains(['services', file, '--json']);
    expectSane(services, 'services');
    expect(services.code, services.stderr).toBe(0);
    expect(services.stderr).toMatch(new RegExp(`^${file}:1:1: warning: \`iptables -S\` output, which does not name its table: lines 1-\\d+ read as table nat \\(it holds DNAT, MASQUERADE, KUBE-MARK-MASQ jumps, which only nat has\\)`));
    expect(services.stderr.trim().split('\n')).toHaveLength(1);
    const fromDump = await inProcess(['services', write('seed.save', seed), '--json']);
    expect(serviceIds(services)).toEqual(serviceIds(fromDump));
    expect(serviceIds(services)).toContain('default/nginx');
    const trace = await inProcess(['trace', file, '--dst', '10.32.0.1:443']);
    expect(trace.code, trace.stderr).toBe(0);
    expect(trace.stdout).toMatch(/DNAT/);
  });

  it('`iptables -t nat -L -n -v -x --line-numbers` of the seed: exit 0, the warnings on stderr, the same services', async () => {
    const file = path.join(import.meta.dirname, '../parse/listings/seed-nat-L-n-v-x-line-numbers.txt');
    const services = await kubechains(['services', file, '--json']);
    expectSane(services, 'services');
    expect(services.code, services.stderr).toBe(0);
    expect(services.stderr).toMatch(new RegExp(`^${file}:1:1: warning: an \`iptables -L\` listing, which does not name its table: lines 1-111 read as table nat`));
    const fromDump = await inProcess(['services', write('seed.save', seed), '--json']);
    expect(serviceIds(services)).toEqual(serviceIds(fromDump));
  });

  it('`iptables-save -c | grep KUBE` of the seed: one warning per table, no error, the same services', async () => {
    const grep = seed.split('\n').filter((l) => l.includes('KUBE')).join('\n') + '\n';
    const file = write('grep.txt', grep);
    const services = await kubechains(['services', file, '--json']);
    expectSane(services, 'services');
    expect(services.code, services.stderr).toBe(0);
    const warnings = services.stderr.trim().split('\n').filter((l) => /rules without a \*table line/.test(l));
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(services.stderr).not.toMatch(/: error: /);
    const fromDump = await inProcess(['services', write('seed.save', seed), '--json']);
    expect(serviceIds(services)).toEqual(serviceIds(fromDump));
  });
});

describe('a warning and the rest of the dump', () => {
  it('a jump to an undefined chain: exit 0, the warning with its position, every other service listed', async () => {
    const at = lineOf(seed, '-j KUBE-SVC-NPX46M4PTMTKRN6Y');
    const text = seed.replace('--dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y', '--dport 443 -j KUBE-SVC-MISSING');
    const col = text.split('\n')[at - 1]!.indexOf('-j KUBE-SVC-MISSING') + 1;
    const file = write('undefined.save', text);
    const warning = `${file}:${at}:${col}: warning: jump to KUBE-SVC-MISSING, which is not a chain of table nat`;

    const services = await kubechains(['services', file]);
    expectSane(services, 'services');
    expect(services.code, services.stderr).toBe(0);
    expect(services.stderr.split('\n')[0]).toBe(warning);
    for (const id of ['kube-system/kube-dns:dns', 'kube-system/kube-dns:dns-tcp', 'kube-system/kube-dns:metrics', 'default/nginx']) {
      expect(services.stdout).toContain(id);
    }
    const json = await inProcess(['services', file, '--json']);
    expect(json.code).toBe(0);
    expect(serviceIds(json)).toEqual(expect.arrayContaining(['kube-system/kube-dns:dns', 'kube-system/kube-dns:dns-tcp', 'kube-system/kube-dns:metrics', 'default/nginx']));

    const others = [
      await inProcess(['which', 'kube-system/kube-dns:dns', file]),
      await inProcess(['chain', 'KUBE-SERVICES', file]),
      await inProcess(['trace', file, '--dst', '10.32.0.1:443']),
    ];
    for (const r of others) {
      expectSane(r, 'warning run');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.split('\n')[0]).toBe(warning);
    }
    expect(others[1]!.stdout).toContain('KUBE-SVC-MISSING');
    // The trace says the chain is missing instead of inventing one.
    expect(others[2]!.stdout).toMatch(/jump to KUBE-SVC-MISSING, which is not in the dump/);
  });

  it('a loop of jumps reachable from PREROUTING: trace terminates and reports it (exit 0)', async () => {
    const loop = seed
      .replace(':KUBE-EXT-2CMXP7HKUVJN7L6M - [0:0]', ':KUBE-A - [0:0]\n:KUBE-B - [0:0]\n:KUBE-EXT-2CMXP7HKUVJN7L6M - [0:0]')
      .replace(
        '[21184:4212345] -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '[0:0] -A PREROUTING -d 10.0.0.1/32 -j KUBE-A\n[21184:4212345] -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n[0:0] -A KUBE-A -p tcp -j KUBE-B\n[0:0] -A KUBE-B -j KUBE-A',
      );
    const file = write('loop.save', loop);
    // As a process first: a trace that never ends fails on its timeout instead of stalling the tests.
    const text = await kubechains(['trace', file, '--dst', '10.0.0.1:80']);
    expectSane(text, 'loop');
    const json = await inProcess(['trace', file, '--dst', '10.0.0.1:80', '--json']);
    const services = await inProcess(['services', file]);
    for (const r of [text, json, services]) {
      expectSane(r, 'loop');
      expect(r.code, r.stderr).toBe(0);
    }
    expect(text.stdout).toContain('loop in the jump graph: KUBE-A -> KUBE-B -> KUBE-A');
    const outcomes = (JSON.parse(json.stdout) as { outcomes: { probability: number; verdict: string; reason: string | null; assumptions: string[] }[] }).outcomes;
    const looped = outcomes.filter((o) => o.assumptions.some((a) => a.includes('loop in the jump graph: KUBE-A -> KUBE-B -> KUBE-A')));
    expect(looped.length).toBeGreaterThan(0);
    for (const o of looped) expect(o.reason).toMatch(/loop in the jump graph/);
    expect(outcomes.reduce((s, o) => s + o.probability, 0)).toBeCloseTo(1, 9);
    expect(services.stdout).toContain('default/nginx');
  });
});

describe('dumps that must load', () => {
  it('CRLF line ends and a UTF-8 BOM give the same services as the plain dump', async () => {
    const plain = write('plain.save', seed);
    const crlf = write('crlf.save', seed.replace(/\n/g, '\r\n'));
    const bom = write('bom.save', '\ufeff' + seed);
    const both = write('bom-crlf.save', '\ufeff' + seed.replace(/\n/g, '\r\n'));
    const runs: ProcResult[] = [];
    for (const f of [plain, crlf, bom]) runs.push(await inProcess(['services', f, '--json']), await inProcess(['services', f]));
    runs.push(await kubechains(['services', both, '--json']), await kubechains(['services', both]));
    for (const r of runs) {
      expectSane(r, 'crlf/bom');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    }
    expect(serviceIds(runs[0]!)).toContain('default/nginx');
    for (let i = 2; i < runs.length; i += 2) {
      expect(runs[i]!.stdout).toBe(runs[0]!.stdout);
      expect(runs[i + 1]!.stdout).toBe(runs[1]!.stdout);
    }
  });

  it('1,000,000 tiny chains in one table load within a 512 MB heap', async () => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
    for (let i = 1; i <= 1_000_000; i++) lines.push(`:C${i} - [0:0]`);
    lines.push('[0:0] -A INPUT -j C1000000', 'COMMIT', '');
    const file = write('million.save', lines.join('\n'));
    // A heap cap turns "too much memory" into a failed run instead of a slow machine.
    const env = { ...process.env, NODE_OPTIONS: '--max-old-space-size=512' };
    // The limit only guards against a hang (the load takes seconds); the heap cap is what is tested.
    const chain = await kubechains(['chain', 'C1000000', file], { env, timeoutMs: 300_000 });
    expectSane(chain, 'million');
    expect(chain.code, chain.stderr).toBe(0);
    expect(chain.stderr).toBe('');
    expect(chain.stdout).toContain('Chain C1000000 (1 reference)');
  }, 360_000);

  describe('control characters and escape sequences in a comment', () => {
    // Clear screen, an OSC 52 clipboard write, BEL, backspace, CR, DEL and the C1 controls CSI and NEL.
    const evilId = 'default/ngi\u001b[2J\u001b]52;c;ZWNobyBwd25lZA==\u0007nx\u0008\r\u007f\u009b31m\u0085';
    const shownId = 'default/ngi\\x1b[2J\\x1b]52;c;ZWNobyBwd25lZA==\\x07nx\\x08\\x0d\\x7f\\x9b31m\\x85';
    const evilText = seed.split('default/nginx').join(evilId);
    let file = '';
    beforeAll(() => {
      file = write('evil.save', evilText);
    });

    it('every text output shows them escaped', async () => {
      // Through the real bin's stdout and stderr, and in-process for the rest.
      const runs = [
        await kubechains(['services', file]),
        await kubechains(['trace', file, '--dst', '172.16.1.10:30783', '--node-ip', '172.16.1.10']),
        await inProcess(['which', '10.32.0.61:80', file]),
        await inProcess(['chain', 'KUBE-NODEPORTS', file]),
        await inProcess(['chain', 'KUBE-SVC-2CMXP7HKUVJN7L6M', file]),
      ];
      for (const r of runs) {
        expectSane(r, 'evil text');
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toContain(shownId);
      }
    });

    it('--json escapes them as JSON does (and DEL and C1 as \\u escapes), and parses back exactly', async () => {
      const services = await kubechains(['services', file, '--json']);
      const chain = await inProcess(['chain', 'KUBE-NODEPORTS', file, '--json']);
      const trace = await inProcess(['trace', file, '--dst', '172.16.1.10:30783', '--node-ip', '172.16.1.10', '--json']);
      for (const r of [services, chain, trace]) {
        expectSane(r, 'evil json');
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toContain('\\u001b[2J\\u001b]52;c;');
        expect(r.stdout).toContain('\\u009b31m\\u0085');
      }
      expect(serviceIds(services)).toContain(evilId);
      const rules = (JSON.parse(chain.stdout) as { chains: { rules: { summary: string; text: string }[] }[] }).chains[0]!.rules;
      expect(rules[0]!.text).toContain(`--comment "${evilId}"`);
      const reasons = (JSON.parse(trace.stdout) as { outcomes: { reason: string | null }[] }).outcomes.map((o) => o.reason);
      expect(reasons).toContain(`masqueraded: KUBE-EXT-2CMXP7HKUVJN7L6M rule 1 (masquerade traffic for ${evilId} external destinations)`);
    });

    it('diagnostics quoting a line with them are escaped too', async () => {
      const bad = write('evil-error.save', '*nat\n:PREROUTING ACCEPT [0:0]\n\u001b]52;c;cHduZWQ=\u0007 \u009b2J\nCOMMIT\n');
      const r = await kubechains(['services', bad]);
      expectParseError(r, 'evil diagnostic', bad, 3, 1, /^unexpected line: /);
      expect(r.stderr).toMatch(/\\u001b\]52;c;cHduZWQ=\\u0007|\\x1b\]52;c;cHduZWQ=\\x07/);
    });
  });
});

describe('a source that cannot be read: one line, exit 2', () => {
  it('a directory', async () => {
    const dir = path.join(tmp, 'a-directory');
    mkdirSync(dir);
    for (const [i, argv] of COMMANDS.entries()) {
      expectSourceError(await (i === 0 ? kubechains(argv(dir)) : inProcess(argv(dir))), argv(dir).join(' '), new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is a directory; give a dump file \\(iptables-save -c > FILE\\)$`));
    }
  });

  it('a missing file', async () => {
    const missing = path.join(tmp, 'no-such.save');
    const r = await kubechains(['services', missing]);
    expect(expectSourceError(r, 'missing', /: no such file$/)).toBe(`kubechains: ${missing}: no such file`);
  });

  // Root reads any file, so as root the bin runs as nobody (uid 65534) for this one.
  const isRoot = process.getuid?.() === 0;
  it('a file without read permission', async () => {
    const file = write('secret.save', seed);
    chmodSync(file, 0o000);
    const r = await kubechains(['services', file], isRoot ? { uid: 65534, gid: 65534, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } } : {});
    expect(expectSourceError(r, 'unreadable', /: permission denied$/)).toBe(`kubechains: ${file}: permission denied`);
  });

  it('standard input closed at once (`-`): an empty dump, named <stdin>', async () => {
    for (const [i, argv] of COMMANDS.entries()) {
      const r = await (i === 0 ? kubechains(argv('-')) : inProcess(argv('-')));
      expectParseError(r, `${argv('-').join(' ')} with empty stdin`, '<stdin>', 1, 1, /^empty input: no iptables-save tables found$/);
    }
    // Not even an open descriptor 0.
    const closed = await kubechains(['services', '-'], { shellPrefix: 'exec <&-' });
    expectSane(closed, 'fd 0 closed');
    expect(closed.code).toBe(2);
    expect(closed.stderr.split('\n')[0]).toMatch(/^(<stdin>:1:1: error: empty input|kubechains: <stdin>: cannot read)/);
  });
});
