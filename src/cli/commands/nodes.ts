/**
 * `kubechains nodes NODE... --source-cmd 'CMD {node}' | --kubectl`: where nodes disagree. Each node
 * is read and reduced to its service summary; the services whose endpoint sets differ come first.
 * Exit 0 when at least one node was read, 2 when none was (as for a source that cannot be read).
 */
import { compareNodes, differingNodes, divergingOn, type ServiceAcrossNodes } from '../../core/index.js';
import { commandTargets, kubectlTargets, listKubeProxyPods } from '../../sources/kubectl.js';
import type { NodeTarget, NodeResult } from '../../sources/nodes.js';
import { readNodeSnapshot, readNodes } from '../../sources/nodes.js';
import { launchExplorer } from '../explore.js';
import { SourceError } from '../../sources/types.js';
import { EXIT_OK, EXIT_USAGE, type CliIO, type Output } from '../io.js';
import type { NodesOptions } from '../nodes-args.js';
import { renderTable, type Column } from '../table.js';

export interface NodesReport {
  readonly nodes: readonly NodeResult[];
  readonly services: readonly ServiceAcrossNodes[];
}

/** The nodes to read: --kubectl asks Kubernetes (rejects with SourceError when it cannot), else the named ones. */
export async function nodeTargets(nodes: NodesOptions, env: NodeJS.ProcessEnv): Promise<NodeTarget[]> {
  if (!nodes.kubectl) return commandTargets(nodes.names, nodes.commandTemplate!);
  const pods = await listKubeProxyPods(nodes.context, { env, timeoutMs: nodes.timeoutSeconds * 1000 });
  return kubectlTargets(pods, nodes.names, nodes.context, nodes.commandTemplate);
}

export async function readNodesReport(nodes: NodesOptions, io: Pick<CliIO, 'env'>, kubeJumps: boolean): Promise<NodesReport & { readonly targets: readonly NodeTarget[] }> {
  const targets = await nodeTargets(nodes, io.env);
  const results = await readNodes(targets, { parallel: nodes.parallel, timeoutMs: nodes.timeoutSeconds * 1000, env: io.env, kubeJumps });
  return { targets, nodes: results, services: compareNodes(results) };
}

/**
 * `kubechains --nodes …`: every node read and compared first, then the explorer opens on the
 * Nodes screen; a node opened there is read whole again, with the command that worked before.
 */
export async function exploreNodes(nodes: NodesOptions, options: { kubeJumps: boolean; nodeIPs: string[] | null }, io: CliIO, out: Output): Promise<number> {
  if (!io.stdout.isTTY) return launchExplorer({ intervalSeconds: 0, nodeAddresses: [], kubeJumps: false }, io, out);
  let report: Awaited<ReturnType<typeof readNodesReport>>;
  try {
    report = await readNodesReport(nodes, io, options.kubeJumps);
  } catch (e) {
    if (e instanceof SourceError) {
      out.error(`kubechains: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
  const load = (name: string) => {
    const i = report.targets.findIndex((t) => t.name === name);
    if (i < 0) return Promise.reject(new SourceError(`no node ${name}`));
    return readNodeSnapshot(report.targets[i]!, { timeoutMs: nodes.timeoutSeconds * 1000, env: io.env, kubeJumps: options.kubeJumps }, report.nodes[i]?.command ?? null);
  };
  return launchExplorer(
    { nodes: { nodes: report.nodes, services: report.services, load }, intervalSeconds: 0, nodeAddresses: options.nodeIPs ?? [], kubeJumps: options.kubeJumps },
    io,
    out,
  );
}

export async function nodesCommand(nodes: NodesOptions, json: boolean, kubeJumps: boolean, io: CliIO, out: Output): Promise<number> {
  let report: NodesReport;
  try {
    report = await readNodesReport(nodes, io, kubeJumps);
  } catch (e) {
    if (e instanceof SourceError) {
      out.error(`kubechains: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
  if (json) out.json(nodesJson(report));
  else printReport(report, out);
  if (report.nodes.some((n) => n.ok)) return EXIT_OK;
  if (!json) out.error(report.nodes.length === 0 ? 'kubechains: no node to read (no kube-proxy pod found)' : 'kubechains: no node could be read');
  return EXIT_USAGE;
}

/** {"nodes": [...], "services": [...]}: a node not read has no entry under a service's "nodes". */
export function nodesJson(report: NodesReport): unknown {
  return {
    nodes: report.nodes.map((n) => ({ name: n.name, ok: n.ok, error: n.error, services: n.summary?.services.size ?? null, mode: n.summary?.mode ?? null })),
    services: report.services.map((s) => ({
      id: s.id,
      diverges: s.diverges,
      nodes: Object.fromEntries([...s.nodes].map(([name, endpoints]) => [name, endpoints === null ? null : { endpoints }])),
    })),
  };
}

const NODE_COLUMNS: readonly Column[] = [
  { header: 'NODE', shrinkable: true, min: 8 },
  { header: 'STATUS' },
  { header: 'MODE' },
  { header: 'SERVICES', narrowHeader: 'SVCS', align: 'right' },
  { header: 'DIVERGING', narrowHeader: 'DIFF', align: 'right' },
  { header: 'ERROR', shrinkable: true, min: 10 },
];

function printReport(report: NodesReport, out: Output): void {
  const rows = report.nodes.map((n) => [
    n.name,
    n.ok ? 'ok' : 'error',
    n.ok ? (n.summary!.mode ?? 'none') : '-',
    n.ok ? String(n.summary!.services.size) : '-',
    n.ok ? String(divergingOn(report.services, n.name)) : '-',
    n.error ?? '',
  ]);
  for (const line of renderTable(NODE_COLUMNS, rows, out.tableWidth)) out.line(line);
  const read = report.nodes.filter((n) => n.ok).length;
  const diverging = report.services.filter((s) => s.diverges);
  out.line();
  out.line(`${diverging.length} of ${report.services.length} services diverge across the ${read} node${read === 1 ? '' : 's'} read`);
  for (const s of diverging) {
    out.line();
    out.line(`!= ${s.id}  (differs on ${differingNodes(s).join(', ')})`);
    for (const [endpoints, names] of groupBySet(s)) out.line(`   ${names.join(', ')}: ${endpoints === null ? 'no such service' : endpoints.length === 0 ? 'no endpoints' : endpoints.join(' ')}`);
  }
  const same = report.services.filter((s) => !s.diverges);
  if (same.length > 0) out.line();
  for (const s of same) {
    const endpoints = [...s.nodes.values()][0] ?? [];
    out.line(`== ${s.id}  ${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'} on every node read`);
  }
}

/** The distinct endpoint sets of a service, each with the nodes that have it. */
function groupBySet(s: ServiceAcrossNodes): [readonly string[] | null, string[]][] {
  const groups = new Map<string, [readonly string[] | null, string[]]>();
  for (const [name, endpoints] of s.nodes) {
    const key = endpoints === null ? '\u0000' : endpoints.join(' ');
    const g = groups.get(key);
    if (g) g[1].push(name);
    else groups.set(key, [endpoints, [name]]);
  }
  return [...groups.values()];
}
