/** The `:` command line: `:svc [FILTER]`, `:hooks`, `:problems`, `:chain NAME [TABLE]`, `:trace IP:PORT [SRC] [PROTO]`, `:help`, `:q`. */
import { PROTOCOLS, TABLE_NAMES, type Protocol, type TableName } from '../../core/parse/index.js';
import { parseIp, parsePortNumber, splitHostPort } from '../../core/trace/index.js';
import { didYouMean } from '../../core/index.js';

export type Command =
  | { readonly kind: 'services'; readonly filter: string }
  | { readonly kind: 'hooks' }
  | { readonly kind: 'problems' }
  | { readonly kind: 'top' }
  | { readonly kind: 'chain'; readonly name: string; readonly table: TableName | null }
  /** nftables: a named set or map (`:set service-ips`, `:map service-ips`). */
  | { readonly kind: 'set'; readonly name: string }
  | { readonly kind: 'trace'; readonly dst: string; readonly src: string; readonly proto: Protocol }
  /** `:diff FILE`: the difference between a dump file and the snapshot on screen. */
  | { readonly kind: 'diff'; readonly path: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'quit' };

export type CommandResult = { readonly ok: true; readonly command: Command } | { readonly ok: false; readonly error: string };

export const COMMAND_HELP = ':svc [filter]  :hooks  :problems  :top  :chain NAME [table]  :set NAME  :trace IP:PORT [src] [proto]  :diff FILE  :help  :q';

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
    case 'top':
      return ok({ kind: 'top' });
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
    case 'diff': {
      // The rest of the line is the path, spaces and all.
      const path = text.trim().replace(/^:/, '').trim().slice(verb.length).trim();
      if (!path) return fail('usage: :diff FILE (a dump to compare with the one on screen)');
      return ok({ kind: 'diff', path });
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
    default: {
      const hint = didYouMean(verb, VERBS, 1);
      return fail(hint ? `unknown command :${verb}${hint}` : `unknown command :${verb} (${COMMAND_HELP})`);
    }
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

/** The commands as Tab completes them and "did you mean" names them. */
export const VERBS: readonly string[] = ['svc', 'hooks', 'problems', 'top', 'chain', 'trace', 'diff', 'help', 'quit'];

/** What Tab completes arguments from: the snapshot's names. */
export interface CompletionSource {
  /** Every chain name in the dump, each once. */
  chainNames(): readonly string[];
  /** Every service port id. */
  serviceIds(): readonly string[];
  /** Every cluster IP:port (and node address:node port) a service answers on. */
  frontends(): readonly string[];
}

export interface Completion {
  /** The line with its last word completed as far as every choice agrees. */
  readonly text: string;
  /** The text before the word being completed. */
  readonly base: string;
  /** Every candidate for the word; one means it is complete. */
  readonly choices: readonly string[];
}

/** How many completions the palette is given at most (a prefix that keeps more is too short to pick from). */
export const MAX_CHOICES = 200;

/**
 * Tab on the `:` line: the command (first word), then its arguments: chain names and a table
 * for :chain, service ids for :svc, addresses and a protocol for :trace. Candidates start with
 * the word (any case); when none does, candidates containing it ("kfr23" finds its KUBE-SEP).
 */
export function completeCommand(text: string, source: CompletionSource): Completion {
  const lead = text.match(/^\s*:?\s*/)![0];
  const body = text.slice(lead.length);
  const words = body.split(/\s+/);
  const word = words[words.length - 1]!;
  const base = text.slice(0, text.length - word.length);
  const verb = (words[0] ?? '').toLowerCase();
  const position = words.length - 1;
  let candidates: readonly string[] = [];
  let prefix = '';
  let w = word;
  if (position === 0) candidates = VERBS;
  else if (verb === 'chain' || verb === 'ch') {
    if (position === 1) {
      // `:chain nat/KUBE-…`: the table stays, the chain after the slash is completed.
      const slash = word.indexOf('/');
      if (slash > 0) {
        prefix = word.slice(0, slash + 1);
        w = word.slice(slash + 1);
      }
      candidates = source.chainNames();
    } else if (position === 2) candidates = TABLE_NAMES;
  } else if (['svc', 'svcs', 'service', 'services'].includes(verb)) candidates = source.serviceIds();
  else if (verb === 'trace' || verb === 'tr') candidates = position === 1 ? source.frontends() : PROTOCOLS;
  const lower = w.toLowerCase();
  let matches = candidates.filter((c) => c.toLowerCase().startsWith(lower));
  if (matches.length === 0 && lower !== '') matches = candidates.filter((c) => c.toLowerCase().includes(lower));
  matches = [...new Set(matches)].sort().slice(0, MAX_CHOICES).map((m) => prefix + m);
  if (matches.length === 0) return { text, base, choices: [] };
  if (matches.length === 1) return { text: base + matches[0]! + ' ', base, choices: matches };
  const common = commonPrefix(matches);
  return { text: base + (common.length > word.length ? common : word), base, choices: matches };
}

/** The longest start all of `texts` share, ignoring case (spelt as the first one spells it). */
function commonPrefix(texts: readonly string[]): string {
  let n = texts[0]!.length;
  for (const t of texts) {
    let i = 0;
    while (i < n && i < t.length && t[i]!.toLowerCase() === texts[0]![i]!.toLowerCase()) i++;
    n = i;
  }
  return texts[0]!.slice(0, n);
}
