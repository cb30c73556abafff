/**
 * CONTRACT test of the kubectl commands `kubechains nodes --kubectl` runs. No cluster exists here:
 * a stand-in `kubectl` (a script first on PATH) records the exact argv it receives, answers
 * `get pods` from a file and `exec … -- iptables-save -c` / `-- nft -j list ruleset` from
 * per-pod files. It proves what kubechains asks kubectl, not what a real API server answers.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parseNftables } from '../../src/core/index.js';
import { renderNftListJson } from '../../src/gen/nft-listing.js';
import { run } from '../cli/harness.js';
import { nodeIptablesDump, nodeNftablesRuleset, WEB } from '../helpers/nodes-cluster.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kc-kubectl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = path.join(dir, 'argv.log');
const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };

// Nodes are read in parallel: each call's record goes to the log in one write, so that
// concurrent calls cannot interleave their lines.
const kubectl = `#!/bin/sh
record=$(for a in "$@"; do printf '%s\\n' "$a"; done; echo '----')
printf '%s\\n' "$record" >> '${log}'
[ "$1" = --context ] && shift 2
case "$1" in
get) cat '${dir}/pods.json' ;;
exec)
  pod=$4; shift 5
  case "$1" in iptables-save) f='${dir}/'$pod.iptables ;; nft) f='${dir}/'$pod.nft ;; *) f=/nonexistent ;; esac
  [ -f "$f" ] && exec cat "$f"
  echo "error: unable to run $1 in pod $pod" >&2; exit 126 ;;
*) echo "unexpected kubectl call" >&2; exit 99 ;;
esac
`;
writeFileSync(path.join(dir, 'kubectl'), kubectl);
chmodSync(path.join(dir, 'kubectl'), 0o755);

const pod = (name: string, nodeName?: string) => ({ metadata: { name, namespace: 'kube-system' }, spec: nodeName === undefined ? {} : { nodeName } });
writeFileSync(
  path.join(dir, 'pods.json'),
  JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('kube-proxy-a', 'node-a'), pod('kube-proxy-b', 'node-b'), pod('kube-proxy-c', 'node-c'), pod('kube-proxy-d', 'node-d'), pod('kube-proxy-pending')] }),
);
writeFileSync(path.join(dir, 'kube-proxy-a.iptables'), nodeIptablesDump('good'));
writeFileSync(path.join(dir, 'kube-proxy-b.iptables'), nodeIptablesDump('stale'));
// An nftables-mode node: iptables-save shows no kube-proxy rules, nft does.
writeFileSync(path.join(dir, 'kube-proxy-c.iptables'), '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
writeFileSync(path.join(dir, 'kube-proxy-c.nft'), renderNftListJson(parseNftables(nodeNftablesRuleset('good'))));
// kube-proxy-d: exec fails (no files).

/** Each kubectl call's argv, in the order they were made. */
function calls(): string[][] {
  return readFileSync(log, 'utf8')
    .split('----\n')
    .filter((c) => c !== '')
    .map((c) => c.split('\n').slice(0, -1));
}

beforeEach(() => writeFileSync(log, ''));

const exec = (ctx: string[], p: string, ...cmd: string[]) => [...ctx, 'exec', '-n', 'kube-system', p, '--', ...cmd];
const sorted = (a: string[][]) => [...a].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

describe('kubectl contract', () => {
  it('lists kube-proxy pods, then reads each node in its pod: iptables-save -c, and nft where iptables shows no kube-proxy rules', async () => {
    const context = ["it's", 'ctx'].join(' ');
    const r = await run(['nodes', '--kubectl', '--context', context, '--json'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ctx = ['--context', context];
    const all = calls();
    expect(all[0]).toEqual([...ctx, 'get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '-o', 'json']);
    expect(sorted(all.slice(1))).toEqual(
      sorted([
        exec(ctx, 'kube-proxy-a', 'iptables-save', '-c'),
        exec(ctx, 'kube-proxy-b', 'iptables-save', '-c'),
        exec(ctx, 'kube-proxy-c', 'iptables-save', '-c'),
        exec(ctx, 'kube-proxy-c', 'nft', '-j', 'list', 'ruleset'),
        exec(ctx, 'kube-proxy-d', 'iptables-save', '-c'),
      ]),
    );
    const json = JSON.parse(r.stdout);
    expect(json.nodes).toEqual([
      { name: 'node-a', ok: true, error: null, services: 3, mode: 'iptables' },
      { name: 'node-b', ok: true, error: null, services: 3, mode: 'iptables' },
      { name: 'node-c', ok: true, error: null, services: 3, mode: 'nftables' },
      { name: 'node-d', ok: false, error: 'exited with status 126: error: unable to run iptables-save in pod kube-proxy-d', services: null, mode: null },
    ]);
    expect(json.services.find((s: { id: string }) => s.id === WEB.id).diverges).toBe(true);
  });

  it('without --context passes none; NODE names choose among the nodes and a node without a pod is an error', async () => {
    const r = await run(['nodes', 'node-a', 'node-z', '--kubectl', '--json'], { env });
    expect(r.code).toBe(0);
    expect(calls()).toEqual([
      ['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '-o', 'json'],
      exec([], 'kube-proxy-a', 'iptables-save', '-c'),
    ]);
    expect(JSON.parse(r.stdout).nodes).toEqual([
      { name: 'node-a', ok: true, error: null, services: 3, mode: 'iptables' },
      { name: 'node-z', ok: false, error: 'no k8s-app=kube-proxy pod on this node in kube-system', services: null, mode: null },
    ]);
  });

  it('runs a --source-cmd of the user\'s own with {pod} and {node} filled in', async () => {
    const r = await run(['nodes', 'node-b', '--kubectl', '--source-cmd', 'kubectl exec -n kube-system {pod} -- iptables-save -c # {node}', '--json'], { env });
    expect(r.code).toBe(0);
    expect(calls()[1]).toEqual(exec([], 'kube-proxy-b', 'iptables-save', '-c'));
    expect(JSON.parse(r.stdout).nodes[0].ok).toBe(true);
  });

  it('exits 2 with kubectl\'s message when the pods cannot be listed', async () => {
    writeFileSync(path.join(dir, 'pods.json.bak'), readFileSync(path.join(dir, 'pods.json')));
    try {
      writeFileSync(path.join(dir, 'pods.json'), 'Error from server (Forbidden): pods is forbidden');
      const r = await run(['nodes', '--kubectl'], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^kubechains: kubectl get pods printed no JSON pod list/);
    } finally {
      writeFileSync(path.join(dir, 'pods.json'), readFileSync(path.join(dir, 'pods.json.bak')));
    }
  });
});
