/**
 * Nodes read through Kubernetes itself: the kube-proxy pods say which nodes there are, and each
 * node's rules are read inside its kube-proxy pod (`kubectl exec`), which shares the node's
 * network namespace. kubectl is run with fixed arguments only; the RBAC this needs is in the README.
 */
import { decodeDump } from './decode.js';
import { isSafeName, nodeCommand, shellWord } from './node-names.js';
import type { NodeTarget } from './nodes.js';
import { describeFailure, runProgram, succeeded } from './spawn.js';
import { SourceError } from './types.js';

export const KUBE_PROXY_NAMESPACE = 'kube-system';
export const KUBE_PROXY_SELECTOR = 'k8s-app=kube-proxy';
/** What each node is read with inside its pod: iptables-save first, nft when that shows no kube-proxy rules. */
export const POD_DUMP_COMMANDS = [['iptables-save', '-c'], ['nft', '-j', 'list', 'ruleset']] as const;

export interface KubeProxyPod {
  readonly pod: string;
  readonly node: string;
}

function kubectlArgs(context: string | null, args: readonly string[]): string[] {
  return [...(context === null ? [] : ['--context', context]), ...args];
}

/** `kubectl get pods -n kube-system -l k8s-app=kube-proxy -o json`: each scheduled pod and its node. */
export async function listKubeProxyPods(context: string | null, options: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<KubeProxyPod[]> {
  const args = kubectlArgs(context, ['get', 'pods', '-n', KUBE_PROXY_NAMESPACE, '-l', KUBE_PROXY_SELECTOR, '-o', 'json']);
  const r = await runProgram('kubectl', args, { env: options.env ?? process.env, timeoutMs: options.timeoutMs });
  if (!succeeded(r)) throw new SourceError(`kubectl ${args.join(' ')} ${describeFailure(r)}`);
  return parsePodList(decodeDump(r.stdout));
}

export function parsePodList(text: string): KubeProxyPod[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (e) {
    throw new SourceError(`kubectl get pods printed no JSON pod list (${e instanceof Error ? e.message : String(e)})`);
  }
  const items = (list as { items?: unknown }).items;
  if (!Array.isArray(items)) throw new SourceError('kubectl get pods printed JSON without "items"');
  const pods: KubeProxyPod[] = [];
  for (const item of items as { metadata?: { name?: unknown }; spec?: { nodeName?: unknown } }[]) {
    const pod = item?.metadata?.name;
    const node = item?.spec?.nodeName;
    // An unscheduled pod has no node yet; nothing to read.
    if (typeof pod === 'string' && typeof node === 'string' && node !== '') pods.push({ pod, node });
  }
  return pods;
}

/**
 * One target per node: those named (a named node without a kube-proxy pod is reported so), or
 * every pod's node. `template` replaces kubectl exec with the user's own command ({node}, {pod}).
 */
export function kubectlTargets(pods: readonly KubeProxyPod[], names: readonly string[], context: string | null, template: string | null): NodeTarget[] {
  const byNode = new Map<string, string>();
  for (const p of pods) if (!byNode.has(p.node)) byNode.set(p.node, p.pod);
  const nodes = names.length > 0 ? names : [...byNode.keys()].sort();
  return nodes.map((node) => {
    const pod = byNode.get(node);
    if (pod === undefined) return { name: node, pod: null, commands: [], error: `no ${KUBE_PROXY_SELECTOR} pod on this node in ${KUBE_PROXY_NAMESPACE}` };
    if (!isSafeName(node) || !isSafeName(pod)) return { name: node, pod, commands: [], error: 'node or pod name has characters kubechains does not put into a shell command' };
    const commands =
      template !== null
        ? [nodeCommand(template, node, pod)]
        : POD_DUMP_COMMANDS.map((dump) => ['kubectl', ...kubectlArgs(context, ['exec', '-n', KUBE_PROXY_NAMESPACE, pod, '--', ...dump])].map(shellWord).join(' '));
    return { name: node, pod, commands, error: null };
  });
}

/** Targets for --source-cmd without kubectl: the named nodes, each with its own command. */
export function commandTargets(names: readonly string[], template: string): NodeTarget[] {
  return names.map((name) => ({ name, pod: null, commands: [nodeCommand(template, name, null)], error: null }));
}
