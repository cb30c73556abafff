/** The `:` command line: `:svc [FILTER]`, `:hooks`, `:problems`, `:chain NAME [TABLE]`, `:trace IP:PORT [SRC] [PROTO]`, `:help`, `:q`. */
import { PROTOCOLS, TABLE_NAMES, type Protocol, type TableName } from '../../core/parse/index.js';
import { parseIp, parsePortNumber, splitHostPort } from '../../core/trace/index.js';

export type Command =
  | { readonly kind: 'services'; readonly filter: string }
  | { readonly kind: 'hooks' }
  | { readonly kind: 'problems' }
  | { readonly kind: 'chain'; readonly name: string; readonly table: TableName | null }
  /** nftables: a named set or map (`:set service-ips`, `:map service-ips`). */
  | { readonly kind: 'set'; readonly name: string }
  | { readonly kind: 'trace'; readonly dst: string; readonly src: string; readonly proto: Protocol }
  | { readonly kind: 'help' }
  | { readonly kind: 'quit' };

export type CommandResult = { readonly ok: true; readonly command: Command } | { readonly ok: false; readonly error: string };

export const COMMAND_HELP = ':svc [filter]  :hooks  :problems  :chain NAME [table]  :set NAME  :trace IP:PORT [src] [proto]  :help  :q';

export function parseCommand(text: string): CommandResult {
  const words = text.trim().replace(/^:/, '').trim().split(/\s+/).filter(Boolean);
  const [verb = '', ...rest] = words;
  switch (verb.toLowerCase()) {
    case 'svc':
    case 'svcs':
    case 'service':
    case 'services':
      return ok({ kind: 'services', filter: rest.join(' ') });
    case 'hooks':
    case 'hook':
      return ok({ kind: 'hooks' });
    case 'problems':
    case 'problem':
    case 'prob':
    case 'doctor':
      return ok({ kind: 'problems' });
    case 'chain':
    case 'ch': {
      const [name, tableWord] = rest;
      if (!name) return fail('usage: :chain NAME [table]');
      // `:chain nat/KUBE-SERVICES` and `:chain KUBE-SERVICES nat` both name the table; nft
      // chain names hold slashes of their own (service-…-ns/name/tcp/port).
      const slash = name.indexOf('/');
      const prefixed = slash > 0 && isTable(name.slice(0, slash));
      const tableText = prefixed ? name.slice(0, slash) : tableWord;
      const chainName = prefixed ? name.slice(slash + 1) : name;
      if (tableText !== undefined && !isTable(tableText)) return fail(`unknown table ${tableText}`);
      return ok({ kind: 'chain', name: chainName, table: tableText ?? null });
    }
    case 'set':
    case 'map': {
      const [name] = rest;
      if (!name) return fail('usage: :set NAME (an nftables set or map)');
      return ok({ kind: 'set', name: name.replace(/^@/, '') });
    }
    case 'trace':
    case 'tr': {
      const [dst, ...more] = rest;
      if (!dst) return fail('usage: :trace IP:PORT [src] [tcp|udp|sctp]');
      const dstError = hostPortError(dst);
      if (dstError) return fail(dstError);
      let src = '';
      let proto: Protocol = 'tcp';
      for (const w of more) {
        const lower = w.toLowerCase();
        if (isProto(lower)) proto = lower;
        else if (isAddress(w)) src = w;
        else return fail(`not an address or protocol: ${w}`);
      }
      return ok({ kind: 'trace', dst, src, proto });
    }
    case 'help':
    case 'h':
    case '?':
      return ok({ kind: 'help' });
    case 'q':
    case 'q!':
    case 'quit':
    case 'exit':
      return ok({ kind: 'quit' });
    case '':
      return fail(COMMAND_HELP);
    default:
      return fail(`unknown command :${verb} (${COMMAND_HELP})`);
  }
}

export interface HostPort {
  readonly address: string;
  readonly port: number;
}

/** "10.0.0.1:80" or "[fd00::1]:80". */
export function parseHostPort(text: string): HostPort | null {
  const hp = splitHostPort(text.trim());
  if (hp === null || hp.port === null || !isAddress(hp.host)) return null;
  const port = parsePortNumber(hp.port);
  return port === null || port < 1 ? null : { address: hp.host, port };
}

export function hostPortError(text: string): string | null {
  return parseHostPort(text) ? null : `expected IP:PORT (e.g. 10.32.0.10:53 or [fd00::1]:80), got ${text}`;
}

/** An IPv4 or IPv6 address, as the tracer reads one. */
export function isAddress(text: string): boolean {
  return parseIp(text) !== null;
}

export function isProto(text: string): text is Protocol {
  return (PROTOCOLS as readonly string[]).includes(text);
}

function isTable(text: string): text is TableName {
  return (TABLE_NAMES as readonly string[]).includes(text);
}

function ok(command: Command): CommandResult {
  return { ok: true, command };
}

function fail(error: string): CommandResult {
  return { ok: false, error };
}
