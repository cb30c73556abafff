import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixturesDir } from '../helpers/paths.js';
import { KEY, fixtureData, lines, renderApp, textData, type Rendered } from './harness.js';

const NODE = ['172.16.1.10'];
let app: Rendered | null = null;

afterEach(() => {
  app?.unmount();
  app = null;
});

async function open(name = 'seed-nodeport-cluster.save'): Promise<Rendered> {
  app = await renderApp({ data: fixtureData(name, NODE), color: false });
  await app.waitFor((f) => f.includes('service ports · sort'), 'the services screen');
  return app;
}

describe('explorer at 80x24', () => {
  it('fits the terminal: never wider than 80 columns, one line short of 24 rows', async () => {
    const a = await open();
    const l = lines(a.frame());
    expect(l.length).toBe(23);
    for (const line of l) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('services screen lists every service port with its columns and the status line', async () => {
    const a = await open();
    const f = a.frame();
    // At 80 columns the policy gives its room to the id (the service screen shows it).
    expect(f).toMatch(/default\/nginx\s+NodePort\s+10\.32\.0\.61:80\/tcp\s+30783\s+1\/-\s+1\s+- *$/m);
    expect(f).not.toContain('POLICY');
    // One dump, no previous one: no rate, and no row marked as counted since the last refresh.
    expect(f).not.toContain('•');
    expect(f).toContain('10.32.0.10:53/udp');
    expect(f).toContain('5 service ports');
    const status = lines(f).at(-1)!;
    // At 80 columns the path gives way to the file name so the date and counts fit.
    const rs = fixtureData('seed-nodeport-cluster.save').ruleset;
    const chains = rs.tables.reduce((n, t) => n + t.chains.length, 0);
    const rules = rs.tables.reduce((n, t) => n + t.rules.length, 0);
    expect(status).toBe(`seed-nodeport-cluster.save · Fri Mar  1 12:00:00 2024 · ${chains} chains · ${rules} rules`);
    expect(f).toContain('1/5 default/kubernetes:https');
  });

  it('gives the policy, Δ packets and bytes columns back as the terminal widens', async () => {
    app = await renderApp({ data: fixtureData('seed-nodeport-cluster.save', NODE), color: false }, { columns: 120 });
    const f = await app.waitFor((x) => x.includes('service ports · sort'), 'the services screen');
    expect(f).toMatch(/ID +TYPE +CLUSTER-IP:PORT +NODEP +EP\/LO +POLICY +PKTS +BYTES +ΔPKTS +PKT\/S/);
    expect(f).toMatch(/default\/kubernetes:https +ClusterIP/);
    expect(f).toMatch(/default\/nginx +NodePort +10\.32\.0\.61:80\/tcp +30783 +1\/- +Cluster +1 /);
    for (const line of lines(f)) expect(line.length).toBeLessThanOrEqual(120);
  });

  it('j/k move the ">" marker and s cycles the sort', async () => {
    const a = await open();
    // 80 columns leave the id 23: long ids are cut in the middle, keeping namespace and port name.
    expect(lines(a.frame()).find((l) => l.startsWith('> '))).toContain('default/…bernetes:https');
    await a.press('j');
    expect(lines(a.frame()).find((l) => l.startsWith('> '))).toContain('default/nginx');
    await a.press('s');
    expect(a.frame()).toContain('sort packets');
    // nginx is the only service that counted packets: first when sorted by packets, still selected.
    const rows = lines(a.frame()).filter((l) => /^[> ] \S+\/\S/.test(l));
    expect(rows[0]).toMatch(/^> default\/nginx/);
    await a.press('s');
    expect(a.frame()).toContain('sort rate');
    await a.press('s');
    expect(a.frame()).toContain('sort endpoints');
    await a.press('s');
    expect(a.frame()).toContain('sort id');
  });

  it('/nginx then Enter opens the service detail with its endpoint chain and DNAT', async () => {
    const a = await open();
    await a.press('/', 'n', 'g', 'i', 'n', 'x');
    expect(a.frame()).toContain('/nginx_');
    expect(a.frame()).toContain('1 of 5 service ports');
    await a.press(KEY.enter);
    let f = await a.waitFor((x) => x.includes('KUBE-SEP-YVT6EXXEKT4LDXBC'), 'the service tree');
    expect(f).toContain('Services > default/nginx');
    // The endpoint table first, the entry points' trees closed.
    expect(f).toMatch(/^> 10\.64\.2\.4:80 +KUBE-SEP-YVT6EXXEKT4LDXBC +\? +100% +100% +1 *$/m);
    expect(f).toMatch(/▸ cluster IP 10\.32\.0\.61:80\/tcp/);
    expect(f).toMatch(/▸ node port 172\.16\.1\.10:30783\/tcp/);
    await a.press('o');
    f = a.frame();
    expect(f).toContain('KUBE-EXT-2CMXP7HKUVJN7L6M #1 -> KUBE-MARK-MASQ');
    // The masquerade step is the tree's last part, under the selected row's detail pane.
    await a.press('G');
    expect(a.frame()).toContain('MASQUERADE');
  });

  it('a pasted "/nginx\\r" in one write goes key by key: filter, then open', async () => {
    const a = await open();
    await a.press('/nginx\r');
    await a.waitFor((x) => x.includes('Services > default/nginx'), 'the service detail');
  });

  it('Esc in the filter line restores the previous filter; Esc on the list clears it and keeps the row', async () => {
    const a = await open();
    await a.press('/', 'd', 'n', 's');
    expect(a.frame()).toContain('3 of 5');
    await a.press(KEY.esc);
    expect(a.frame()).toContain('5 service ports');
    await a.press('/', 'm', 'e', 't', 'r', 'i', 'c', 's', KEY.tab);
    expect(a.frame()).toContain('filter "metrics"');
    await a.press(KEY.esc);
    expect(a.frame()).not.toContain('filter "metrics"');
    expect(lines(a.frame()).find((l) => l.startsWith('> '))).toMatch(/^> kube-sys…be-dns:metrics +ClusterIP 10\.32\.0\.10:9153/);
  });

  it('Enter on a service and Esc back land on the same row', async () => {
    const a = await open();
    await a.press('j', 'j', 'j');
    const before = lines(a.frame()).find((l) => l.startsWith('> '));
    await a.press(KEY.enter);
    await a.waitFor((x) => x.includes('Services > kube-system/kube-dns:dns-tcp'));
    await a.press(KEY.backspace);
    await a.waitFor((x) => x.includes('service ports · sort'));
    expect(lines(a.frame()).find((l) => l.startsWith('> '))).toBe(before);
  });

  it('hooks screen lists the entry points in kernel order and drills PREROUTING > KUBE-SERVICES > SVC > SEP and back', async () => {
    const a = await open();
    await a.press(':', 'h', 'o', 'o', 'k', 's');
    expect(a.frame()).toContain(':hooks_');
    await a.press(KEY.enter);
    let f = await a.waitFor((x) => x.includes('Hooks ·'));
    // HOOK, PRIO, TABLE: the priority column shows the kernel's order within a hook.
    const order = lines(f).filter((l) => /^[> ] (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) /.test(l)).map((l) => l.slice(2).split(/\s+/).slice(0, 3).join(' '));
    expect(order).toEqual([
      'PREROUTING -150 mangle', 'PREROUTING -100 nat', 'INPUT -150 mangle', 'INPUT 0 filter', 'INPUT 100 nat', 'FORWARD -150 mangle', 'FORWARD 0 filter',
      'OUTPUT -150 mangle', 'OUTPUT -100 nat', 'OUTPUT 0 filter', 'POSTROUTING -150 mangle', 'POSTROUTING 100 nat',
    ]);
    await a.press('j', KEY.enter);
    f = await a.waitFor((x) => x.includes('Hooks > nat PREROUTING'));
    expect(f).toContain('policy ACCEPT 9 pkts 1100 bytes');
    expect(f).toMatch(/>\s+1 21184 4212K KUBE-SERVICES\s+all · kubernetes service portals/);
    await a.press(KEY.enter);
    f = await a.waitFor((x) => x.includes('nat KUBE-SERVICES · 6 rules · 2 references'));
    expect(f).toMatch(/5\s+0\s+0 KUBE-SVC-2CMXP7HKUVJN7L6M tcp to 10\.32\.0\.61:80 · default\/nginx/);
    await a.press('j', 'j', 'j', 'j', KEY.enter);
    f = await a.waitFor((x) => x.includes('nat KUBE-SVC-2CMXP7HKUVJN7L6M'));
    await a.press(KEY.enter);
    f = await a.waitFor((x) => x.includes('nat KUBE-SEP-YVT6EXXEKT4LDXBC · 2 rules'));
    expect(lines(f)[0]).toBe('Hooks > nat PREROUTING > KUBE-SERVICES > KUBE-SVC-… > KUBE-SEP-YVT6EXXEKT4LDXBC');
    expect(f).toContain('DNAT           tcp -> 10.64.2.4:80 · default/nginx');
    await a.press(KEY.esc, KEY.esc);
    f = await a.waitFor((x) => lines(x)[0] === 'Hooks > nat PREROUTING > KUBE-SERVICES');
    expect(lines(f).find((l) => l.startsWith('> '))).toContain('KUBE-SVC-2CMXP7HKUVJN7L6M');
  });

  it('r shows rules as written; Enter on a rule that is not a jump says so', async () => {
    const a = await open();
    await a.press(':', ...'chain KUBE-SEP-YVT6EXXEKT4LDXBC', KEY.enter);
    await a.waitFor((x) => x.includes('nat KUBE-SEP-YVT6EXXEKT4LDXBC'));
    await a.press('r');
    expect(a.frame()).toContain('-A KUBE-SEP-YVT6EXXEKT4LDXBC -s 10.64.2.4/32 -m comment');
    await a.press('r', 'j', KEY.enter);
    expect(a.frame()).toContain('DNAT is a target, not a chain');
  });

  it(':chain with an unknown name and an unknown command report errors on the command line', async () => {
    const a = await open();
    await a.press(':', ...'chain NOPE', KEY.enter);
    expect(a.frame()).toContain('no chain NOPE');
    await a.press(':', ...'frobnicate', KEY.enter);
    expect(a.frame()).toContain('unknown command :frobnicate');
  });

  it('t on a service opens the trace pre-filled with its cluster IP and shows outcomes and the path', async () => {
    const a = await open();
    await a.press('j', 't');
    const f = await a.waitFor((x) => x.includes('Services > Trace'));
    expect(f).toContain('dst 10.32.0.61:80');
    expect(f).toMatch(/100% ACCEPT\s+10\.64\.2\.4:80\s+no\s+forwarded/);
    expect(f).toContain('nat KUBE-SEP-YVT6EXXEKT4LDXBC rule 2 -> DNAT (default/nginx)');
  });

  it('trace form: Tab between fields, typing, Enter traces; Enter on a path step opens its chain', async () => {
    const a = await open();
    await a.press(':', ...'trace 172.16.1.10:30783', KEY.enter);
    let f = await a.waitFor((x) => x.includes('Trace'));
    expect(f).toMatch(/100% ACCEPT\s+10\.64\.2\.4:80\s+yes\s+masqueraded/);
    // Back to the form: e edits the destination; Tab to src, type a node address.
    await a.press('e');
    expect(a.frame()).toContain('>dst 172.16.1.10:30783_');
    // dst -> proto -> assume -> outcomes -> path -> src.
    await a.press(KEY.tab, KEY.tab, KEY.tab, KEY.tab, KEY.tab);
    expect(a.frame()).toContain('>src');
    await a.press(...'10.64.2.4', KEY.tab, KEY.tab, 'u', KEY.enter);
    f = await a.waitFor((x) => x.includes('udp 10.64.2.4:40000'));
    expect(f).toContain('>proto udp'.replace('>proto', ' proto'));
    // Back to tcp, then walk into the path and open the SEP chain.
    await a.press('e', KEY.tab, 't', KEY.enter);
    f = await a.waitFor((x) => x.includes('tcp 10.64.2.4:40000'));
    await a.press(KEY.enter);
    // From the pod itself (hairpin) the SEP chain matches twice: rule 1 marks for masquerade, rule 2 DNATs.
    expect(a.frame()).toContain('nat KUBE-SEP-YVT6EXXEKT4LDXBC rule 1 -> KUBE-MARK-MASQ');
    for (let i = 0; i < 20 && !lines(a.frame()).some((l) => l.startsWith('> nat KUBE-SEP-YVT6EXXEKT4LDXBC rule 2')); i++) await a.press('j');
    await a.press(KEY.enter);
    f = await a.waitFor((x) => x.includes('Services > Trace > KUBE-SEP-YVT6EXXEKT4LDXBC'));
    expect(lines(f).find((l) => l.startsWith('> '))).toContain('DNAT');
  });

  it('a bad destination is an error on the form, not a crash', async () => {
    const a = await open();
    await a.press(':', ...'trace 10.32.0.61:80', KEY.enter);
    await a.waitFor((x) => x.includes('Trace'));
    await a.press('e', KEY.backspace, KEY.backspace, KEY.backspace, KEY.enter);
    expect(a.frame()).toContain('destination: expected IP:PORT, got "10.32.0.61"');
  });

  it('service detail shows the drop branch where the node has no local endpoint', async () => {
    app = await renderApp({ data: fixtureData('seed-nodeport-local-other.save', ['172.16.1.11']), color: false }, { columns: 100, rows: 30 });
    const a = app;
    await a.press('/nginx', KEY.enter);
    await a.waitFor((x) => x.includes('Services > default/nginx'));
    await a.press('o');
    const f = a.frame();
    expect(f).toMatch(/filter KUBE-EXTERNAL-SERVICES #1 -> DROP +100%/);
    expect(f).toContain('= DROP · default/nginx has no local endpoints');
    // The cluster IP still reaches the (remote) endpoint.
    expect(f).toContain('= ACCEPT to 10.64.2.4:80 forwarded');
  });

  it('service detail says when no hook leads to an entry point (restore-form dumps)', async () => {
    const text = readFileSync(path.join(fixturesDir, 'seed-clusterip.save'), 'utf8').replace(/^.*-A PREROUTING .*$/m, '');
    app = await renderApp({ data: textData(text), color: false }, { columns: 100, rows: 30 });
    await app.press('/251', KEY.enter);
    await app.waitFor((x) => x.includes('Services > default/nginx'));
    await app.press('o');
    const f = app.frame();
    expect(f).toContain('the hooks never reach KUBE-SERVICES #1 in this dump');
  });

  it('service detail: Enter on a tree step opens that chain at that rule', async () => {
    const a = await open();
    await a.press('/nginx', KEY.enter);
    await a.waitFor((x) => x.includes('Services > default/nginx'));
    await a.press('o');
    for (let i = 0; i < 20 && !lines(a.frame()).some((l) => /^> +KUBE-SERVICES #5/.test(l)); i++) await a.press('j');
    await a.press(KEY.enter);
    const f = await a.waitFor((x) => x.includes('nat KUBE-SERVICES ·'));
    expect(lines(f).find((l) => l.startsWith('> '))).toMatch(/^>\s+5 .*KUBE-SVC-2CMXP7HKUVJN7L6M/);
  });

  it('? opens help and ? closes it; q quits', async () => {
    const a = await open();
    await a.press('?');
    expect(a.frame()).toContain('Services > Help');
    expect(a.frame()).toContain('fuzzy filter');
    await a.press('?');
    expect(a.frame()).toContain('service ports · sort');
    let quit = false;
    a.exited.then(() => (quit = true));
    await a.press('q');
    await a.waitFor(() => quit, 'exit');
    app = null;
  });

  it('Ctrl-C quits even from a trace form field', async () => {
    const a = await open();
    await a.press(':', ...'trace 10.32.0.61:80', KEY.enter, 'e');
    let quit = false;
    a.exited.then(() => (quit = true));
    await a.press(KEY.ctrlC);
    await a.waitFor(() => quit, 'exit');
    app = null;
  });

  it('a new snapshot replaces the data and the selection stays on the same service', async () => {
    const a = await open();
    await a.press('s', 'j', 'g');
    expect(a.frame()).toContain('sort packets · 1/5 default/nginx');
    // The next dump: default/kubernetes counted 50 packets, so it now sorts before nginx.
    const text = readFileSync(path.join(fixturesDir, 'seed-nodeport-cluster.save'), 'utf8').replace(
      '[0:0] -A KUBE-SEP-XVEICQAMDISBIZXS -p tcp',
      '[50:3000] -A KUBE-SEP-XVEICQAMDISBIZXS -p tcp',
    );
    a.rerender({ data: textData(text, 'fixtures/seed-nodeport-cluster.save', NODE), color: false });
    const f = await a.waitFor((x) => x.includes('2/5 default/nginx'), 'nginx on the second row');
    expect(lines(f).find((l) => l.startsWith('> '))).toMatch(/^> default\/nginx/);
    expect(lines(f)[3]).toMatch(/^  default\/…bernetes:https .* 50 /);
  });

  it('a new snapshot that reorders a chain keeps the selection on the same rule', async () => {
    const a = await open();
    await a.press(':', ...'chain KUBE-SERVICES', KEY.enter);
    await a.waitFor((x) => x.includes('nat KUBE-SERVICES · 6 rules'), 'the KUBE-SERVICES chain');
    await a.press('j');
    const selected = () => lines(a.frame()).find((l) => l.startsWith('> ')) ?? '';
    expect(selected()).toMatch(/^> +2 .*KUBE-SVC-TCOU7JCQXEZGVUNU udp to 10\.32\.0\.10:53/);
    // kube-proxy wrote the service rules in the opposite order: the dns rule is now the 4th.
    const text = readFileSync(path.join(fixturesDir, 'seed-nodeport-cluster.save'), 'utf8');
    const rules = text.split('\n').filter((l) => /^\[0:0\] -A KUBE-SERVICES -d /.test(l));
    expect(rules).toHaveLength(5);
    const reordered = text.replace(rules.join('\n'), [...rules].reverse().join('\n'));
    a.rerender({ data: textData(reordered, 'fixtures/seed-nodeport-cluster.save', NODE), color: false });
    await a.waitFor((x) => /^> +4 .*KUBE-SVC-TCOU7JCQXEZGVUNU udp to 10\.32\.0\.10:53/m.test(x), 'the dns rule selected at its new place');
  });

  it('re-lays out on resize', async () => {
    const a = await open();
    a.stdout.resize(120, 30);
    const f = await a.waitFor((x) => lines(x).length === 29, 'a 120x30 frame');
    expect(f).toMatch(/kube-system\/kube-dns:dns-tcp\s+ClusterIP/);
    a.stdout.resize(80, 24);
    await a.waitFor((x) => lines(x).length === 23, 'back to 80x24');
  });
});
