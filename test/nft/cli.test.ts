/**
 * The CLI on nftables rulesets: every command reads `nft list ruleset` text and `nft -j` JSON
 * (detected, no flag), and answers in the same contract as in iptables mode, naming nft tables,
 * handles and map elements where iptables would name tables, rule numbers and rules.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, run } from '../cli/harness.js';

const TEXT = fixture('nftables/seed-nodeport-cluster.nft');
const JSON_FORM = fixture('nftables/seed-nodeport-cluster.json');
const NODE = ['--node-ip', '172.16.1.10'];

describe('services, which, trace, chain and doctor on an nftables ruleset', () => {
  it.each([TEXT, JSON_FORM])('services lists the seed cluster from %s, no counters', async (file) => {
    const r = await run(['services', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^default\/nginx\s+NodePort\s+10\.32\.0\.61:80\/tcp\s+30783\s+1\/-\s+Cluster\s+-$/m);
    const json = JSON.parse((await run(['services', file, '--json'])).stdout) as { services: Array<Record<string, unknown>> };
    const nginx = json.services.find((s) => s.id === 'default/nginx')!;
    expect(nginx).toMatchObject({ mode: 'nftables', nodePort: 30783, packets: null, chains: { svc: 'service-ECO34HEO-default/nginx/tcp/', ext: 'external-ECO34HEO-default/nginx/tcp/' } });
    expect(nginx.endpoints).toEqual([
      { address: '10.64.2.4:80', chain: 'endpoint-NA2QQ6UL-default/nginx/tcp/__10.64.2.4/80', probability: 1, local: null, packets: null, bytes: null, problem: null },
    ]);
  });

  it('trace --json names the nft table, family, rule position and the map element that matched; text and JSON forms agree but for lines and handles', async () => {
    const outcomes = async (file: string) => {
      const r = await run(['trace', file, '--dst', '172.16.1.10:30783', '--src', '172.16.1.152', ...NODE, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { outcomes: Array<{ path: Array<Record<string, unknown>>; verdict: string; dnat: string; masquerade: boolean }> }).outcomes;
    };
    const fromText = await outcomes(TEXT);
    const fromJson = await outcomes(JSON_FORM);
    const withoutLines = (o: typeof fromText) => o.map((x) => ({ ...x, path: x.path.map(({ line: _line, handle: _handle, ...rest }) => rest) }));
    expect(withoutLines(fromText)).toEqual(withoutLines(fromJson));
    expect(fromJson).toHaveLength(1);
    const [o] = fromJson;
    expect(o).toMatchObject({ verdict: 'ACCEPT', dnat: '10.64.2.4:80', masquerade: true });
    expect(o!.path).toContainEqual({
      table: 'kube-proxy',
      family: 'ip',
      chain: 'services',
      rule: 2,
      handle: expect.any(Number),
      target: 'external-ECO34HEO-default/nginx/tcp/',
      line: expect.any(Number),
      element: 'tcp . 30783 : goto external-ECO34HEO-default/nginx/tcp/',
    });
    // The text listing has no handles (nft list without -a): null, never a guess.
    const textServices = fromText[0]!.path.find((s) => s.chain === 'services')!;
    expect(textServices.handle).toBeNull();
  });

  it('trace prints each step as nft wrote the rule, with the element a lookup matched', async () => {
    const r = await run(['trace', TEXT, '--dst', '10.32.0.61:80', ...NODE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ip kube-proxy services #1');
    expect(r.stdout).toContain('ip daddr . meta l4proto . th dport vmap @service-ips  [10.32.0.61 . tcp . 80 : goto service-ECO34HEO-default/nginx/tcp/]');
    expect(r.stdout).toContain('meta l4proto tcp dnat to 10.64.2.4:80');
  });

  it('which walks each frontend by hook, naming the nft table', async () => {
    const r = await run(['which', 'default/nginx', JSON_FORM, ...NODE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('node port 172.16.1.10:30783/tcp');
    expect(r.stdout).toMatch(/ip kube-proxy nat-prerouting #1 > services #2 > external-ECO34HEO-default\/nginx\/tcp\/ #\d > service-ECO34HEO-default\/nginx\/tcp\/ #\d > endpoint-NA2QQ6UL-default\/nginx\/tcp\/__10\.64\.2\.4\/80 #\d/);
  });

  it('chain lists an nft chain with handles (JSON form) and finds it by table and family', async () => {
    const text = await run(['chain', 'services', JSON_FORM]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('# table ip kube-proxy');
    expect(text.stdout).toMatch(/^1\s+\d+\s+ip daddr \. meta l4proto \. th dport vmap @service-ips$/m);
    const json = JSON.parse((await run(['chain', 'nat-prerouting', JSON_FORM, '--table', 'ip kube-proxy', '--json'])).stdout) as { chains: Array<Record<string, unknown>> };
    expect(json.chains).toHaveLength(1);
    expect(json.chains[0]).toMatchObject({ table: 'kube-proxy', family: 'ip', builtin: true, policy: 'ACCEPT', base: { type: 'nat', hook: 'prerouting', priority: -100 } });
    const missing = await run(['chain', 'servicez', JSON_FORM]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no chain servicez/);
  });

  it('doctor reads the nft maps: no local endpoints under policy Local, named at the no-endpoint-nodeports map', async () => {
    const r = await run(['doctor', fixture('nftables/seed-nodeport-local-other.json'), ...NODE.slice(0, 1), '172.16.1.11']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/INFO no-local-endpoints {2}\[ip kube-proxy @no-endpoint-nodeports\]/);
  });
});

describe('both modes on one node (a half-done migration)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kc-both-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A node whose iptables-save and nft both show kube-proxy rules; read as the local source (root only).
  const isRoot = process.getuid?.() === 0;
  const shim = (name: string, file: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, `#!/bin/sh\nexec /bin/cat '${file}'\n`);
    chmodSync(p, 0o755);
  };
  shim('iptables-save', fixture('seed-nodeport-cluster.save'));
  shim('ip6tables-save', '/dev/null');
  const nft = path.join(dir, 'nft');
  writeFileSync(nft, `#!/bin/sh\nif [ "$*" = "list tables" ]; then printf 'table ip nat\\ntable ip kube-proxy\\n'; exit 0; fi\n[ "$*" = "-j list ruleset" ] || exit 1\nexec /bin/cat '${fixture('nftables/seed-nodeport-cluster.json')}'\n`);
  chmodSync(nft, 0o755);

  it.skipIf(!isRoot && process.env.CI !== 'true')(`doctor says both-modes, services lists each mode's, trace says which it followed${isRoot || process.env.CI === 'true' ? '' : ' (skipped outside CI: needs root for the local source)'}`, async () => {
    const env = { ...process.env, PATH: dir };
    const doctor = await run(['doctor', '--json'], { env });
    const kinds = (JSON.parse(doctor.stdout) as { findings: Array<{ kind: string; message: string }> }).findings;
    const both = kinds.find((f) => f.kind === 'both-modes');
    expect(both?.message).toMatch(/iptables mode \(KUBE-SERVICES, 5 service ports\) and nftables mode \(table ip kube-proxy, 5 service ports\)/);
    const services = JSON.parse((await run(['services', '--json'], { env })).stdout) as { services: Array<{ id: string; mode: string }> };
    expect(services.services.filter((s) => s.id === 'default/nginx').map((s) => s.mode)).toEqual(['iptables', 'nftables']);
    const trace = await run(['trace', '--dst', '10.32.0.61:80'], { env });
    expect(trace.stdout).toMatch(/assumption: both kube-proxy modes have rules on this node: traced through the nftables ruleset only/);
  });
});
