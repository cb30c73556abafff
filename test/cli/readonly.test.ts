/**
 * kubechains never changes netfilter state: with no SOURCE, as root, the only programs it runs
 * are iptables-save and ip6tables-save, each with exactly `-c`, and `nft -j list ruleset`
 * (kube-proxy's nftables mode); `conns` adds `conntrack -L` and `conntrack -L -f ipv6`, and
 * nothing else does. Proved two ways: a PATH whose
 * every likely program is a recording shim, and a hook in the node process that logs every
 * child_process call (which also sees programs started by absolute path).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runProcess } from './harness.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Programs that could change or probe netfilter/network state: each records its call and fails. */
const FORBIDDEN = [
  'iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore', 'iptables-legacy', 'iptables-nft',
  'iptables-legacy-save', 'iptables-nft-save', 'iptables-legacy-restore', 'iptables-nft-restore',
  'ip', 'ipset', 'ss', 'netstat', 'ifconfig', 'hostname', 'sysctl', 'modprobe',
  'sh', 'bash', 'dash', 'env', 'sudo', 'which', 'cat', 'kubectl', 'crictl', 'tc',
];

describe.skipIf(!isRoot && process.env.CI !== 'true')('read-only (skipped: needs root to take the local-node source; runs as root or with CI=true)', () => {
  let dir: string;
  let shimLog: string;
  let spawnLog: string;
  let hook: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kc-readonly-'));
    shimLog = path.join(dir, 'shims.log');
    spawnLog = path.join(dir, 'spawn.log');
    writeFileSync(shimLog, '');
    writeFileSync(spawnLog, '');
    const bin = path.join(dir, 'bin');
    const shim = (name: string, body: string) => {
      const p = path.join(bin, name);
      writeFileSync(p, `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> '${shimLog}'\n${body}\n`);
      chmodSync(p, 0o755);
    };
    mkdirSync(bin);
    shim('iptables-save', `/bin/cat '${fixture('seed-nodeport-cluster.save')}'`);
    shim('ip6tables-save', 'exit 0');
    // nft answers only its two listings (a table of its own, then an empty ruleset): anything else it is asked fails.
    shim(
      'nft',
      `if [ "$*" = "list tables" ]; then printf 'table ip nat\\ntable ip kube-proxy\\n'; exit 0; fi\n[ "$*" = "-j list ruleset" ] || exit 1\nprintf '%s\\n' '{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}]}'`,
    );
    // conntrack answers only its two listings; anything else it is asked (-D, -F, -U, -I…) fails.
    shim(
      'conntrack',
      `if [ "$*" = "-L" ]; then /bin/cat '${fixture('conntrack/seed-nodeport-cluster.plain.txt')}'; exit 0; fi\n[ "$*" = "-L -f ipv6" ] || exit 1`,
    );
    for (const name of FORBIDDEN) shim(name, 'exit 1');

    hook = path.join(dir, 'spawn-hook.mjs');
    writeFileSync(
      hook,
      `import cp from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { appendFileSync } from 'node:fs';
for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync', 'fork']) {
  const original = cp[name];
  cp[name] = function (...args) {
    appendFileSync(${JSON.stringify(spawnLog)}, JSON.stringify([name, args[0], Array.isArray(args[1]) ? args[1] : null]) + '\\n');
    return original.apply(this, args);
  };
}
syncBuiltinESMExports();
`,
    );
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs only iptables-save -c, ip6tables-save -c, nft list tables and nft -j list ruleset, and for conns conntrack -L and conntrack -L -f ipv6', async () => {
    const env = { PATH: path.join(dir, 'bin'), NODE_OPTIONS: `--import=${hook}`, HOME: dir };
    const commands = [
      ['services'],
      ['services', '--json'],
      ['which', 'default/nginx'],
      ['chain', 'KUBE-SERVICES'],
      ['trace', '--dst', '10.32.0.61:80'],
      ['doctor'],
      ['conns'],
      ['conns', '--json', 'nginx'],
      [], // the explorer: no terminal here, so it stops after loading the dump
    ];
    for (const argv of commands) {
      writeFileSync(shimLog, '');
      writeFileSync(spawnLog, '');
      const r = await runProcess(argv, { env });
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(argv.length === 0 ? 2 : 0);
      if (argv[0] === 'services' && argv.length === 1) expect(r.stdout).toMatch(/^default\/nginx\s+NodePort/m);

      const conns = argv[0] === 'conns';
      if (conns) expect(r.stdout).toContain('10.64.2.4:80');
      expect(readFileSync(shimLog, 'utf8'), argv.join(' ')).toBe(
        'iptables-save -c\nip6tables-save -c\nnft list tables\nnft -j list ruleset\n' + (conns ? 'conntrack -L\nconntrack -L -f ipv6\n' : ''),
      );
      const spawns = readFileSync(spawnLog, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as [string, string, string[] | null]);
      expect(spawns.map(([fn, file, args]) => [fn, path.basename(file), args]), argv.join(' ')).toEqual([
        ['spawn', 'iptables-save', ['-c']],
        ['spawn', 'ip6tables-save', ['-c']],
        ['spawn', 'nft', ['list', 'tables']],
        ['spawn', 'nft', ['-j', 'list', 'ruleset']],
        ...(conns
          ? [
              ['spawn', 'conntrack', ['-L']],
              ['spawn', 'conntrack', ['-L', '-f', 'ipv6']],
            ]
          : []),
      ]);
      // Found on PATH (the shims), by absolute path: no shell, no lookup by another program.
      for (const [, file] of spawns) expect(path.dirname(file)).toBe(path.join(dir, 'bin'));
    }
  });

  it('without the conntrack binary: the rules commands run as before, conns exits 2 saying why', async () => {
    const bin = path.join(dir, 'bin-no-conntrack');
    mkdirSync(bin);
    for (const name of ['iptables-save', 'ip6tables-save', 'nft']) writeFileSync(path.join(bin, name), readFileSync(path.join(dir, 'bin', name)), { mode: 0o755 });
    const env = { PATH: bin, HOME: dir };
    const services = await runProcess(['services'], { env });
    expect([services.code, services.stderr]).toEqual([0, '']);
    const conns = await runProcess(['conns'], { env });
    expect(conns.code).toBe(2);
    expect(conns.stderr).toBe('kubechains: no conntrack table: conntrack is not installed (apt-get install conntrack), or pass --conntrack FILE\n');
  });

  it('the hook would see any other program (it is not blind)', async () => {
    writeFileSync(spawnLog, '');
    writeFileSync(shimLog, '');
    const env = { PATH: path.join(dir, 'bin'), NODE_OPTIONS: `--import=${hook}`, HOME: dir };
    const r = await runProcess(['services', '--source-cmd', 'true'], { env });
    expect(r.code).toBe(2); // empty output is not a dump
    expect(readFileSync(spawnLog, 'utf8')).toContain('"/bin/sh",["-c","true"]');
  });
});
