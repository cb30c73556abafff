/** The flags of `kubechains nodes NODE...` and of the explorer's `--nodes NODE...`. */
import { didYouMean } from '../core/index.js';
import { isSafeName } from '../sources/node-names.js';

export interface NodesOptions {
  /** The nodes named on the command line (with --kubectl: a filter, [] for every kube-proxy pod's node). */
  readonly names: readonly string[];
  /** --source-cmd with {node} (and {pod} under --kubectl); null: --kubectl's own commands. */
  readonly commandTemplate: string | null;
  readonly kubectl: boolean;
  readonly context: string | null;
  readonly parallel: number;
  readonly timeoutSeconds: number;
}

export const NODES_FLAGS = {
  all: ['--nodes', '--kubectl', '--context', '--parallel', '--timeout'],
  value: ['--context', '--parallel', '--timeout'],
  boolean: ['--nodes', '--kubectl'],
} as const;

export const DEFAULT_PARALLEL = 8;
export const DEFAULT_TIMEOUT_SECONDS = 30;

/** Null when the command line is not about many nodes; throws (via `usage`) when it is and is wrong. */
export function nodesOptions(command: string, positionals: readonly string[], flags: ReadonlyMap<string, string>, usage: (message: string) => Error): NodesOptions | null {
  const wanted = command === 'nodes' || flags.has('--nodes');
  if (!wanted) {
    const stray = NODES_FLAGS.all.find((f) => flags.has(f));
    if (stray) throw usage(`${stray} needs --nodes (the explorer over many nodes) or the nodes command`);
    return null;
  }
  const what = command === 'nodes' ? '`nodes`' : '--nodes';
  const kubectl = flags.has('--kubectl');
  const template = flags.get('--source-cmd') ?? null;
  if (!kubectl && template === null) throw usage(`${what} needs --source-cmd 'COMMAND with {node}' or --kubectl`);
  if (!kubectl && positionals.length === 0) throw usage(`${what} needs at least one NODE name`);
  if (template !== null && !/\{node\}|\{pod\}|KUBECHAINS_NODE|KUBECHAINS_POD/.test(template)) {
    throw usage(`--source-cmd ${JSON.stringify(template)} has no {node}${kubectl ? ' or {pod}' : ''}: every node would be read with the same command`);
  }
  if (template !== null && !kubectl && template.includes('{pod}')) throw usage('{pod} needs --kubectl (pods are found through kubectl)');
  if (flags.has('--context') && !kubectl) throw usage('--context needs --kubectl');
  // The explorer reads a node when it is opened, not on an interval.
  if (flags.has('--interval')) throw usage('--interval does not apply to --nodes (a node is read again when it is opened)');
  const seen = new Set<string>();
  for (const name of positionals) {
    if (!isSafeName(name)) {
      const hint = name.startsWith('-') ? didYouMean(name, NODES_FLAGS.all, 2) : '';
      throw usage(`node name ${JSON.stringify(name)}: only letters, digits and . _ - are accepted (it is put into a shell command)${hint}`);
    }
    if (seen.has(name)) throw usage(`node ${name} named twice`);
    seen.add(name);
  }
  return {
    names: positionals,
    commandTemplate: template,
    kubectl,
    context: flags.get('--context') ?? null,
    parallel: wholeNumber(flags.get('--parallel'), '--parallel', DEFAULT_PARALLEL, 1, 256, usage),
    timeoutSeconds: seconds(flags.get('--timeout'), usage),
  };
}

function wholeNumber(text: string | undefined, flag: string, fallback: number, min: number, max: number, usage: (m: string) => Error): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw usage(`${flag} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`);
  return n;
}

function seconds(text: string | undefined, usage: (m: string) => Error): number {
  if (text === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n < 0.1 || n > 86400) throw usage(`--timeout ${JSON.stringify(text)}: expected seconds between 0.1 and 86400`);
  return n;
}
