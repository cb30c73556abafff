/** Running commands for the kernel tests: argument arrays, never a shell; bounded in time. */
import { execFileSync } from 'node:child_process';

const CMD_TIMEOUT_MS = 60_000;

export function run(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, {
      input,
      encoding: 'utf8',
      timeout: CMD_TIMEOUT_MS,
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr ?? '').trim() || err.message}`);
  }
}

export function inNs(ns: string, cmd: string, args: string[], input?: string): string {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], input);
}

/** The source address the kernel in `ns` would pick for a connection to `dst`. */
export function routeSource(ns: string, dst: string): string {
  const v6 = dst.includes(':');
  const out = run('ip', ['-n', ns, v6 ? '-6' : '-4', 'route', 'get', dst]);
  const m = (v6 ? /\bsrc ([0-9a-f:]+)/ : /\bsrc (\d+\.\d+\.\d+\.\d+)/).exec(out);
  if (!m) throw new Error(`no source address for ${dst} in ${ns}: ${out.trim()}`);
  return m[1]!;
}
