/**
 * The command line, parsed by hand (no dependency): a subcommand, its positionals and flags.
 * Every mistake is a one-line message; the caller prints it with a hint and exits 2.
 */
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { didYouMean } from '../core/index.js';
import { TABLE_NAMES } from '../core/parse/index.js';
import { parseAssumption, splitHostPort, type Assumption } from '../core/trace/index.js';
import type { Protocol } from '../core/kube/index.js';

export const COMMANDS = ['services', 'which', 'chain', 'trace', 'doctor', 'conns'] as const;
export type CommandName = (typeof COMMANDS)[number];
/** `explore` is what runs without a subcommand: the TUI. */
export type Command = CommandName | 'explore';

export interface Destination {
  readonly address: string;
  readonly port: number;
}

export interface CliOptions {
  readonly command: Command;
  /** A file path, `-` for standard input, or null (the local node, or --source-cmd). */
  readonly source: string | null;
  /** `which QUERY` */
  readonly query: string | null;
  /** `chain NAME` */
  readonly chainName: string | null;
  readonly json: boolean;
  /** --kube-jumps: add kube-proxy's standard jumps from the built-in chains the dump lacks. */
  readonly kubeJumps: boolean;
  /** An iptables table, or an nftables table ("kube-proxy", or with its family: "ip6 kube-proxy"). */
  readonly table: string | null;
  readonly dst: Destination | null;
  readonly src: string | null;
  readonly proto: Protocol | null;
  /** `--assume 'EXPR=true|false'`, repeatable: the user's answers for matches the tracer cannot decide. */
  readonly assume: readonly Assumption[];
  /** null when --node-ip was not given (the source decides). */
  readonly nodeIPs: string[] | null;
  readonly sourceCmd: string | null;
  /** --conntrack FILE|-: the conntrack table (conns, doctor, the explorer). */
  readonly conntrack: string | null;
  /** --conntrack-cmd 'COMMAND': the conntrack table from a command, run like --source-cmd. */
  readonly conntrackCmd: string | null;
  readonly intervalSeconds: number | null;
  readonly help: boolean;
  readonly version: boolean;
}

export type ParseArgsResult =
  | { readonly ok: true; readonly options: CliOptions }
  | { readonly ok: false; readonly message: string; readonly command: Command | null };

type FlagName =
  | '--json'
  | '--kube-jumps'
  | '--table'
  | '--dst'
  | '--src'
  | '--proto'
  | '--node-ip'
  | '--source-cmd'
  | '--interval'
  | '--assume'
  | '--conntrack'
  | '--conntrack-cmd';

const VALUE_FLAGS: ReadonlySet<string> = new Set(['--table', '--dst', '--src', '--proto', '--node-ip', '--source-cmd', '--interval', '--conntrack', '--conntrack-cmd']);
const BOOLEAN_FLAGS: ReadonlySet<string> = new Set(['--json', '--kube-jumps']);
/** Flags that may be given more than once, each time adding a value. */
const REPEATED_FLAGS: ReadonlySet<string> = new Set(['--assume']);

/** Which flags each command accepts: a flag that means nothing to a command is a usage error. */
const ALLOWED: Readonly<Record<Command, readonly FlagName[]>> = {
  explore: ['--node-ip', '--source-cmd', '--interval', '--kube-jumps', '--conntrack', '--conntrack-cmd'],
  services: ['--json', '--source-cmd', '--kube-jumps'],
  which: ['--json', '--source-cmd', '--node-ip', '--src', '--assume', '--kube-jumps'],
  chain: ['--json', '--source-cmd', '--table', '--kube-jumps'],
  trace: ['--json', '--source-cmd', '--dst', '--src', '--proto', '--node-ip', '--assume', '--kube-jumps'],
  doctor: ['--json', '--source-cmd', '--node-ip', '--kube-jumps', '--conntrack', '--conntrack-cmd'],
  conns: ['--json', '--source-cmd', '--node-ip', '--kube-jumps', '--conntrack', '--conntrack-cmd'],
};

/** Positionals each command takes before the optional SOURCE. */
const LEADING_POSITIONALS: Readonly<Record<Command, 'query' | 'chainName' | null>> = {
  explore: null,
  services: null,
  which: 'query',
  chain: 'chainName',
  trace: null,
  doctor: null,
  // `conns [SOURCE] [QUERY]`: see connsPositionals.
  conns: null,
};

const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];

class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): ParseArgsResult {
  let command: Command | null = null;
  try {
    return { ok: true, options: parse(argv, (c) => (command = c)) };
  } catch (e) {
    if (e instanceof UsageError) return { ok: false, message: e.message, command };
    throw e;
  }
}

function parse(argv: readonly string[], onCommand: (c: Command) => void): CliOptions {
  const positionals: string[] = [];
  const flags = new Map<string, string>();
  const repeated = new Map<string, string[]>();
  let help = false;
  let version = false;
  let command: Command = 'explore';
  let commandSeen = false;
  let flagsDone = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (flagsDone || arg === '-' || !arg.startsWith('-')) {
      if (!commandSeen && positionals.length === 0 && (COMMANDS as readonly string[]).includes(arg) && !flagsDone) {
        command = arg as CommandName;
        commandSeen = true;
        onCommand(command);
      } else if (!commandSeen && positionals.length === 0 && arg === 'help' && !flagsDone) {
        // `kubechains help [COMMAND]` is `kubechains [COMMAND] --help`.
        help = true;
        const next = argv[i + 1];
        if (next && (COMMANDS as readonly string[]).includes(next)) {
          command = next as CommandName;
          onCommand(command);
          i++;
        }
        commandSeen = true;
      } else {
        positionals.push(arg);
      }
      continue;
    }
    if (arg === '--') {
      flagsDone = true;
      continue;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--version' || arg === '-V') {
      version = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (BOOLEAN_FLAGS.has(name)) {
      if (eq > 0) throw new UsageError(`${name} takes no value`);
      flags.set(name, '');
      continue;
    }
    if (REPEATED_FLAGS.has(name)) {
      // The value may start with dashes (--assume '--match-set X=false'): take the next word as it is.
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
      repeated.set(name, [...(repeated.get(name) ?? []), value]);
      flags.set(name, value);
      continue;
    }
    if (VALUE_FLAGS.has(name)) {
      let value: string | undefined;
      if (eq > 0) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        // A following flag is not a value: `--dst --json` forgot the address.
        if (value === undefined || (value.startsWith('--') && value.length > 2)) {
          throw new UsageError(`${name} needs a value`);
        }
        i++;
      }
      if (value === '') throw new UsageError(`${name} needs a value`);
      if (flags.has(name)) throw new UsageError(`${name} given twice`);
      flags.set(name, value);
      continue;
    }
    throw new UsageError(`unknown option ${quoteArg(name)}`);
  }

  if (help || version) return build(command, positionals, flags, repeated, help, version, true);
  return build(command, positionals, flags, repeated, false, false, false);
}

function build(
  command: Command,
  positionals: string[],
  flags: Map<string, string>,
  repeated: Map<string, string[]>,
  help: boolean,
  version: boolean,
  lenient: boolean,
): CliOptions {
  const allowed = ALLOWED[command];
  for (const flag of flags.keys()) {
    if (!lenient && !allowed.includes(flag as FlagName)) {
      const what = command === 'explore' ? 'the explorer' : `\`${command}\``;
      throw new UsageError(`${flag} does not apply to ${what}`);
    }
  }

  // `kubechains servcies FILE`: a misspelt command, not a dump to open (unless such a file exists).
  const first = positionals[0];
  if (command === 'explore' && !lenient && first !== undefined && first !== '-' && !isFile(first)) {
    const hint = didYouMean(first, COMMANDS, 1);
    if (hint) throw new UsageError(`unknown command ${quoteArg(first)}${hint}`);
  }

  let query: string | null = null;
  let chainName: string | null = null;
  const leading = LEADING_POSITIONALS[command];
  const rest = [...positionals];
  if (leading !== null) {
    const first = rest.shift();
    if (first === undefined && !lenient) {
      throw new UsageError(command === 'which' ? '`which` needs a QUERY (namespace/name[:port], IP[:port], a node port or a word)' : '`chain` needs a chain NAME');
    }
    if (leading === 'query') query = first ?? null;
    else chainName = first ?? null;
  }
  // `kubechains which FILE`: the QUERY was forgotten; reading the host's rules for the query "FILE" would mislead.
  const named = query ?? chainName;
  if (leading !== null && !lenient && rest.length === 0 && !flags.has('--source-cmd') && named !== null && isFile(named)) {
    throw new UsageError(
      command === 'which'
        ? `\`which\` needs a QUERY before the SOURCE: ${quoteArg(named)} is a file (kubechains which QUERY ${quoteArg(named)})`
        : `\`chain\` needs a chain NAME before the SOURCE: ${quoteArg(named)} is a file (kubechains chain NAME ${quoteArg(named)})`,
    );
  }
  const sourceCmd = flags.get('--source-cmd') ?? null;
  if (command === 'conns') query = connsQuery(rest, sourceCmd !== null);
  if (rest.length > 1 && !lenient) {
    throw new UsageError(`unexpected argument ${quoteArg(rest[1]!)} (only one SOURCE is read)`);
  }
  const source = rest[0] ?? null;
  if (source !== null && sourceCmd !== null && !lenient) {
    throw new UsageError(`give either a SOURCE (${quoteArg(source)}) or --source-cmd, not both`);
  }

  const dstText = flags.get('--dst');
  const dst = dstText === undefined || lenient ? null : parseDestination(dstText);
  if (command === 'trace' && dst === null && !lenient) {
    throw new UsageError('`trace` needs --dst IP:PORT');
  }
  const srcText = flags.get('--src');
  const src = srcText === undefined || lenient ? null : parseAddress(srcText, '--src');
  const protoText = flags.get('--proto');
  const proto = protoText === undefined || lenient ? null : parseProtocol(protoText);
  const nodeText = flags.get('--node-ip');
  const nodeIPs = nodeText === undefined || lenient ? null : parseAddressList(nodeText, '--node-ip');
  const tableText = flags.get('--table');
  const table = tableText === undefined || lenient ? null : parseTable(tableText);
  const intervalText = flags.get('--interval');
  const intervalSeconds = intervalText === undefined || lenient ? null : parseInterval(intervalText);
  const assume = lenient ? [] : (repeated.get('--assume') ?? []).map(parseAssumeFlag);
  const conntrack = flags.get('--conntrack') ?? null;
  const conntrackCmd = flags.get('--conntrack-cmd') ?? null;
  if (!lenient && conntrack !== null && conntrackCmd !== null) throw new UsageError('give either --conntrack or --conntrack-cmd, not both');
  if (!lenient && conntrack === '-' && source === '-') throw new UsageError('standard input can hold the rules (SOURCE -) or the conntrack table (--conntrack -), not both');
  if (src !== null && dst !== null && isIP(src) !== isIP(dst.address)) {
    throw new UsageError(`--src ${src} and --dst ${dst.address} are not the same IP family`);
  }

  return {
    command,
    source,
    query,
    chainName,
    json: flags.has('--json'),
    kubeJumps: flags.has('--kube-jumps'),
    table,
    dst,
    src,
    proto,
    assume,
    nodeIPs,
    sourceCmd,
    conntrack,
    conntrackCmd,
    intervalSeconds,
    help,
    version,
  };
}

/**
 * `conns [SOURCE] [QUERY]`: two positionals are SOURCE then QUERY; one is the SOURCE when it is
 * `-` or names something on disk (a directory too: reading it says why it is no dump), and no
 * --source-cmd names the rules; else the QUERY. Takes the QUERY out of `rest`.
 */
function connsQuery(rest: string[], sourceCmd: boolean): string | null {
  if (rest.length >= 2) return rest.splice(1, 1)[0]!;
  const only = rest[0];
  if (only === undefined) return null;
  if (!sourceCmd && (only === '-' || exists(only))) return null;
  rest.shift();
  return only;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function parseAssumeFlag(text: string): Assumption {
  const a = parseAssumption(text);
  if ('error' in a) throw new UsageError(a.error);
  return a;
}

/** `IP:PORT`, `[IPv6]:PORT`. */
export function parseDestination(text: string): Destination {
  const hp = splitHostPort(text);
  if (hp === null || hp.port === null) {
    const ipv6 = hp === null || hp.bracketed || hp.host.includes(':');
    throw new UsageError(`--dst ${quoteArg(text)}: ${ipv6 ? 'write IPv6 as [ADDRESS]:PORT' : 'expected IP:PORT'}`);
  }
  const address = hp.host;
  const portText = hp.port;
  if (isIP(address) === 0) throw new UsageError(`--dst ${quoteArg(text)}: ${quoteArg(address)} is not an IP address`);
  return { address: normalizeAddress(address), port: parsePort(portText, text) };
}

function parsePort(text: string, whole: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new UsageError(`--dst ${quoteArg(whole)}: ${quoteArg(text)} is not a port number`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new UsageError(`--dst ${quoteArg(whole)}: port ${port} is outside 1-65535`);
  return port;
}

function parseAddress(text: string, flag: string): string {
  if (isIP(text) === 0) throw new UsageError(`${flag} ${quoteArg(text)} is not an IP address`);
  return normalizeAddress(text);
}

function parseAddressList(text: string, flag: string): string[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new UsageError(`${flag} ${quoteArg(text)}: expected IP,IP,... with no empty entries`);
  return parts.map((p) => parseAddress(p, flag));
}

function parseProtocol(text: string): Protocol {
  const lower = text.toLowerCase();
  if (!(PROTOCOLS as readonly string[]).includes(lower)) {
    throw new UsageError(`--proto ${quoteArg(text)}: expected tcp, udp or sctp`);
  }
  return lower as Protocol;
}

/** iptables' five, or an nft table's name ([FAMILY ]NAME): nft tables are named by their owners. */
function parseTable(text: string): string {
  if ((TABLE_NAMES as readonly string[]).includes(text) || /^((ip|ip6|inet|arp|bridge|netdev) )?[A-Za-z0-9_.-]+$/.test(text)) return text;
  throw new UsageError(`--table ${quoteArg(text)}: expected one of ${TABLE_NAMES.join(', ')}, or an nftables table ([FAMILY ]NAME)`);
}

function parseInterval(text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(seconds) || seconds < 0.1 || seconds > 86400) {
    throw new UsageError(`--interval ${quoteArg(text)}: expected seconds between 0.1 and 86400`);
  }
  return seconds;
}

/** IPv6 in lower case, as iptables-save prints it; IPv4 as given (isIP already refused oddities). */
function normalizeAddress(address: string): string {
  return address.includes(':') ? address.toLowerCase() : address;
}

/** Arguments in messages: JSON-quoted when they hold anything unusual, so the line stays one line. */
function quoteArg(s: string): string {
  const short = s.length > 80 ? s.slice(0, 77) + '...' : s;
  return /^[\w.:/[\]@%+,=-]+$/.test(short) ? short : JSON.stringify(short);
}
