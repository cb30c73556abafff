/**
 * This node's own rules: `iptables-save -c`, plus `ip6tables-save -c` when it prints any, plus
 * `nft -j list ruleset` when `nft list tables` shows tables of nft's own (kube-proxy's nftables
 * mode, or both modes on a node mid-migration). Only these programs, with fixed arguments, are ever run
 * (kubechains never changes netfilter state); the node's addresses come from
 * os.networkInterfaces(), not from `ip`.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { decodeDump } from './decode.js';
import { describeFailure, runProgram, succeeded, type RunOptions } from './spawn.js';
import { SourceError } from './types.js';

const WHAT_TO_PASS = 'pass a dump file (iptables-save -c > FILE), `-` to read standard input, or --source-cmd \'COMMAND\'';

export interface LocalDump {
  readonly text: string;
  /** What `nft -j list ruleset` printed; absent when nft is not installed or printed no table. */
  readonly nftText?: string;
  readonly origin: string;
  readonly nodeAddresses: string[];
}

/** The arguments nft is run with: JSON, because it is faster to print and to read than the text form. */
export const NFT_LIST_ARGS = ['-j', 'list', 'ruleset'] as const;
/** Names only, cheap even at 10k services: whether nft holds any table iptables-save does not show. */
export const NFT_TABLES_ARGS = ['list', 'tables'] as const;

/** `run` adds a timeout or an abort signal to each program; its env is `env`. */
export async function readLocalDump(env: NodeJS.ProcessEnv = process.env, run: Omit<RunOptions, 'env'> = {}): Promise<LocalDump> {
  const save4 = await findOnPath('iptables-save', env.PATH);
  const nft = await findOnPath('nft', env.PATH);
  if (save4 === null && nft === null) {
    throw new SourceError(`no SOURCE given and neither iptables-save nor nft is on PATH (not a node?): ${WHAT_TO_PASS}`);
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new SourceError(`no SOURCE given: reading this node's rules needs root (sudo kubechains ...), or ${WHAT_TO_PASS}`);
  }
  const iptables = save4 === null ? { text: '', origin: '' } : await readIptables(save4, env, run);
  // Listing a large ruleset is slow (nft takes ~25 s at 10k services): only when nft holds a table
  // of its own (kube-proxy's nftables mode, firewalld, …), not just iptables-nft's, which iptables-save gave.
  const nftText = nft === null || (save4 !== null && !(await hasOwnNftTables(nft, env, run))) ? '' : await readNft(nft, env, run, save4 === null);
  if (!/"(table)"\s*:/.test(nftText)) return { text: iptables.text, origin: iptables.origin || 'nft -j list ruleset', nodeAddresses: localNodeAddresses() };
  const origin = [iptables.origin, 'nft -j list ruleset'].filter((o) => o !== '').join(' + ');
  return { text: iptables.text, nftText, origin, nodeAddresses: localNodeAddresses() };
}

/** `nft list tables` names a table that is not one of iptables-nft's (ip/ip6 raw, mangle, nat, filter, security). */
async function hasOwnNftTables(nft: string, env: NodeJS.ProcessEnv, run: Omit<RunOptions, 'env'>): Promise<boolean> {
  const r = await runProgram(nft, [...NFT_TABLES_ARGS], { ...run, env });
  if (r.aborted || r.timedOut) throw new SourceError(`nft ${NFT_TABLES_ARGS.join(' ')} ${describeFailure(r)}`, describeFailure(r));
  if (!succeeded(r)) return false;
  return decodeDump(r.stdout)
    .split('\n')
    .some((line) => {
      const m = /^table (\S+) (\S+)/.exec(line.trim());
      return m !== null && !((m[1] === 'ip' || m[1] === 'ip6') && IPTABLES_TABLES.includes(m[2]!));
    });
}

const IPTABLES_TABLES = ['raw', 'mangle', 'nat', 'filter', 'security'];

/** `nft -j list ruleset`; a failure is fatal only when nft is the only way to read the rules. */
async function readNft(nft: string, env: NodeJS.ProcessEnv, run: Omit<RunOptions, 'env'>, only: boolean): Promise<string> {
  const r = await runProgram(nft, [...NFT_LIST_ARGS], { ...run, env });
  if (r.aborted || r.timedOut || (only && !succeeded(r))) throw new SourceError(`nft ${NFT_LIST_ARGS.join(' ')} ${describeFailure(r)}`, describeFailure(r));
  return succeeded(r) ? decodeDump(r.stdout) : '';
}

async function readIptables(save4: string, env: NodeJS.ProcessEnv, run: Omit<RunOptions, 'env'>): Promise<{ text: string; origin: string }> {
  const v4 = await runProgram(save4, ['-c'], { ...run, env });
  if (!succeeded(v4)) {
    const detail = describeFailure(v4);
    throw new SourceError(`iptables-save -c ${detail}`, detail);
  }
  let text = decodeDump(v4.stdout);
  let origin = 'iptables-save -c';

  const save6 = await findOnPath('ip6tables-save', env.PATH);
  if (save6 !== null) {
    // IPv6 may be disabled or the tool broken; the IPv4 rules are still worth showing.
    const v6 = await runProgram(save6, ['-c'], { ...run, env });
    if (v6.aborted || v6.timedOut) throw new SourceError(`ip6tables-save -c ${describeFailure(v6)}`, describeFailure(v6));
    const text6 = succeeded(v6) ? decodeDump(v6.stdout) : '';
    if (/^\*/m.test(text6)) {
      if (text !== '' && !text.endsWith('\n')) text += '\n';
      text += text6;
      origin += ' + ip6tables-save -c';
    }
  }
  return { text, origin };
}

/** The node's addresses: outward-facing IPv4 first (what `which` uses as "the node"), then IPv6, then loopback. */
export function localNodeAddresses(): string[] {
  const rank = (family: string, internal: boolean, address: string): number =>
    (internal ? 4 : 0) + (family === 'IPv4' ? 0 : address.startsWith('fe80') ? 2 : 1);
  const found: { address: string; rank: number }[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      found.push({ address: a.address.split('%')[0]!, rank: rank(a.family, a.internal, a.address) });
    }
  }
  found.sort((x, y) => x.rank - y.rank);
  return [...new Set(found.map((f) => f.address))];
}

/** The executable called `name` in PATH, found without running anything (no `which`). */
export async function findOnPath(name: string, path: string | undefined): Promise<string | null> {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue; // relative PATH entries would depend on the cwd
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}
