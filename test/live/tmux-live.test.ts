/**
 * The live explorer in a real terminal on a real node: tmux at 80x24 runs the built CLI on
 * `--source-cmd '… ip netns exec NODE iptables-save -c' --interval 1` while the test makes TCP
 * connections to one service of a kube-proxy ruleset loaded in a node namespace. The screen must
 * show that service counting (a non-zero rate and the "•" mark on its row, the others at 0);
 * then the source starts failing (the command checks a flag file and prints iptables' xtables
 * lock message), and the status line must say so while the keys keep working; q gives the
 * terminal back clean. Needs root, the kernel tools and tmux: skipped outside CI when they are
 * missing, never under CI=true. Saves the screens to $KC_SCREENS_DIR/live-*.txt when that is set.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { generateKubeProxyRules, type ClusterSpec } from '../../src/gen/kubeproxy.js';
import { builtMain } from '../cli/harness.js';
import { repoRoot } from '../helpers/paths.js';
import { TmuxServer, expectShellBack, hasTmux, rows, save } from '../helpers/tmux.js';
import { Topology, connect, kernelGate, loadRuleset } from '../kernel/netns.js';
import { CLUSTER_CIDR, NODE_IP, NODE_POD_CIDR } from '../kernel/specs.js';
import { XTABLES_LOCK } from './fake-source.js';

const gate = kernelGate();
const skip = (gate.skip || !hasTmux) && process.env.CI !== 'true';
const why = !hasTmux ? 'tmux is missing' : gate.reason;

const server = new TmuxServer('kubechains-live');

const SPEC: ClusterSpec = {
  nodeIPs: [NODE_IP],
  podCIDR: NODE_POD_CIDR,
  clusterCIDR: CLUSTER_CIDR,
  services: [
    { namespace: 'kc', name: 'web', clusterIP: '10.32.0.51', ports: [{ port: 80, targetPort: 8080 }], endpoints: [{ ip: '10.64.2.51', local: true }, { ip: '10.64.1.52', local: false }] },
    { namespace: 'kc', name: 'api', clusterIP: '10.32.0.52', ports: [{ port: 80, targetPort: 8080 }], endpoints: [{ ip: '10.64.2.53', local: true }] },
    { namespace: 'kc', name: 'db', clusterIP: '10.32.0.53', ports: [{ port: 80, targetPort: 8080 }], endpoints: [{ ip: '10.64.3.54', local: false }] },
    { namespace: 'kc', name: 'cache', clusterIP: '10.32.0.54', ports: [{ port: 80, targetPort: 8080 }], endpoints: [{ ip: '10.64.1.55', local: false }, { ip: '10.64.2.56', local: true }] },
  ],
};

const selected = (s: string) => rows(s).find((l) => l.startsWith('> ')) ?? '';
/** The explorer's status line: the frame is one row short of the terminal (see App). */
const statusLine = (s: string) => rows(s).at(-2) ?? '';
const problemLine = (s: string) => rows(s).at(-3) ?? '';
/** The cadence on the status line: every second, or stretched when a run took longer (a busy machine). */
const CADENCE = String.raw`(?:every 1 s|source took [\d.]+ s; refreshing every [\d.]+ s)`;
const serviceRow = (s: string, id: string) => rows(s).find((l) => l.slice(2).startsWith(`${id} `)) ?? '';

/** PKT/S and the mark at the end of a services row (capture-pane drops trailing blanks). */
function rateOf(row: string): { rate: number; marked: boolean } {
  const m = /\s(\S+?)(•?)$/.exec(row);
  if (!m) throw new Error(`no rate in "${row}"`);
  return { rate: m[1] === '-' ? NaN : Number(m[1]!.replace(/K$/, '000')), marked: m[2] === '•' };
}

describe.skipIf(skip)(skip ? `live explorer in tmux on a real node (skipped outside CI: ${why})` : 'live explorer in tmux on a real node', () => {
  let topo: Topology;
  let dir = '';

  beforeAll(async () => {
    if (!hasTmux) throw new Error('tmux is missing (apt-get install tmux)');
    gate.assertAvailable();
    dir = mkdtempSync(path.join(tmpdir(), 'kc-tmux-live-'));
    topo = Topology.create({ tag: 'lt' });
    topo.addPodAddresses(SPEC.services.flatMap((s) => s.endpoints.map((e) => e.ip)));
    await topo.startListeners([8080]);
    topo.routeFromClient(SPEC.services.map((s) => `${s.clusterIP}/32`));
    loadRuleset(topo.nodeNs, generateKubeProxyRules(SPEC, { form: 'restore' }));
  }, 180_000);

  afterAll(() => {
    server.kill();
    topo?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows one service counting while connections run, a failing source on the status line, and quits clean', async () => {
    const web = buildKubeModel(parseIptablesSave(generateKubeProxyRules(SPEC))).services.find((s) => s.id === 'kc/web')!;
    const flag = path.join(dir, 'fail');
    // The source fails while the flag file exists, as iptables does when another app holds the lock.
    const source = `if [ -e ${flag} ]; then echo "${XTABLES_LOCK}" >&2; exit 4; fi; ip netns exec ${topo.nodeNs} iptables-save -c`;
    const term = server.startShell('live', { width: 80, height: 24, cwd: repoRoot, timeoutMs: 30_000 });
    await term.waitFor((s) => s.includes('$'), 'the shell prompt');
    term.type(`node ${builtMain} --source-cmd '${source}' --interval 1 --node-ip ${NODE_IP}; echo "exit=$?"`);
    term.keys('Enter');
    let s = await term.waitFor((x) => x.includes('4 service ports · sort id'), 'the services screen');
    expect(rows(s)).toHaveLength(24);
    expect(statusLine(s)).toMatch(new RegExp(String.raw`^${CADENCE} · refreshed \d\d:\d\d:\d\d \(\d+ s ago\) · `));

    // Connections to kc/web only, until the screen has shown it counting.
    let traffic = true;
    let made = 0;
    const load = (async () => {
      while (traffic) {
        const attempts = await connect(topo.clientNs, web.clusterIP!, web.port!, { count: 5, parallel: 1 });
        made += attempts.filter((a) => a.result === 'connected').length;
      }
    })();
    try {
      s = await term.waitFor((x) => {
        const r = serviceRow(x, 'kc/web');
        return r !== '' && rateOf(r).marked && rateOf(r).rate > 0;
      }, 'kc/web counting');
      const first = rateOf(serviceRow(s, 'kc/web'));
      save('live-services', s);
      console.log(`live services screen (80x24):\n${s}`);
      for (const id of ['kc/api', 'kc/db', 'kc/cache']) {
        const r = rateOf(serviceRow(s, id));
        expect(r, id).toEqual({ rate: 0, marked: false });
      }
      expect(first.rate).toBeGreaterThan(0);
      // Still counting a refresh later: the packet total keeps rising with the traffic.
      // The PKTS column, where the header puts it (short ids leave room for BYTES and ΔPKTS after it).
      const total = (x: string) => {
        const header = rows(x).find((l) => / PKTS /.test(l) && /PKT\/S\s*$/.test(l))!;
        const end = header.indexOf(' PKTS ') + ' PKTS'.length;
        return Number(/(\d+)$/.exec(serviceRow(x, 'kc/web').slice(0, end))![1]);
      };
      const before = total(s);
      s = await term.waitFor((x) => total(x) > before && rateOf(serviceRow(x, 'kc/web')).rate > 0, 'kc/web still rising');
    } finally {
      traffic = false;
      await load;
    }
    expect(made).toBeGreaterThan(0);

    // The source fails: the last good snapshot stays, the status line says so, the keys work.
    writeFileSync(flag, '');
    s = await term.waitFor((x) => statusLine(x).startsWith('refresh failed '), 'the failed refresh on the status line');
    s = await term.waitFor((x) => problemLine(x).includes('Another app is currently holding the xtables lock'), 'the reason');
    expect(statusLine(s)).toMatch(new RegExp(String.raw`^refresh failed \d+ s ago · ${CADENCE} · last good \d\d:\d\d:\d\d \(\d+ s ago\)`));
    expect(problemLine(s)).toMatch(/^! exited with status 4: Another app is currently holding the xtables lock/);
    save('live-failing', s);
    console.log(`failing source (80x24):\n${s}`);
    expect(selected(s)).toMatch(/^> kc\/api /);
    term.keys('j');
    s = await term.waitFor((x) => selected(x).startsWith('> kc/cache '), 'the selection moved');
    expect(serviceRow(s, 'kc/web')).not.toBe('');
    expect(statusLine(s)).toMatch(/^refresh failed /);

    // Back to normal when the source recovers.
    rmSync(flag);
    s = await term.waitFor((x) => new RegExp(String.raw`^${CADENCE} · refreshed `).test(statusLine(x)), 'the recovery');
    expect(problemLine(s)).not.toContain('xtables lock');

    term.type('q');
    s = await term.waitFor((x) => x.includes('exit=0'), 'the shell again');
    expectShellBack(s, 0);
  }, 180_000);
});
