/**
 * Node and pod names are put into a command that /bin/sh runs ({node}, {pod}), so only names that
 * cannot mean anything to a shell are accepted: Kubernetes' own (DNS labels and subdomains) and
 * network namespace names, letters, digits and . _ - only, not starting with - or a dot.
 */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$/;

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name);
}

/** The command for one node: {node} and {pod} replaced (both names are safe, see isSafeName). */
export function nodeCommand(template: string, node: string, pod: string | null): string {
  return template.replaceAll('{node}', node).replaceAll('{pod}', pod ?? '');
}

/** A word for /bin/sh: single-quoted unless plainly safe (a --context name may hold anything). */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
