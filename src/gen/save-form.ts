/**
 * kube-proxy's rule arguments -> the line iptables-save prints for the same rule.
 *
 * iptables does not keep the text it was given: it stores matches and a target and prints
 * them back canonically: addresses with a prefix length, generic options first (-s, -d, -i,
 * -o, -p), then every match module in the order it was loaded with its options in the
 * module's own order, then the target with its options spelt out (`--or-mark X` becomes
 * `--set-xmark X/X`, REJECT gains `--reject-with`, probabilities get 11 decimals). This covers
 * the options kube-proxy and kubelet use; anything else is printed as given.
 */
import { canonicalCidr, type IpFamily } from './addr.js';
import { iptablesProbability } from './probability.js';

interface Opt {
  readonly name: string;
  readonly negated: boolean;
  readonly value: string | null;
}

interface Match {
  readonly module: string;
  readonly opts: Opt[];
}

/** Options that take no value. */
const FLAG_OPTIONS = new Set(['--set', '--rcheck', '--update', '--remove', '--reap', '--rsource', '--rdest', '--random-fully', '--random']);

const PROTO_MODULES = new Set(['tcp', 'udp', 'sctp']);

/** Which match module owns an option when it follows other options (kube-proxy writes `-m tcp -p tcp -d X --dport 80`). */
const OPTION_MODULE: Readonly<Record<string, string>> = {
  '--comment': 'comment',
  '--mode': 'statistic',
  '--probability': 'statistic',
  '--every': 'statistic',
  '--packet': 'statistic',
  '--name': 'recent',
  '--set': 'recent',
  '--rcheck': 'recent',
  '--update': 'recent',
  '--remove': 'recent',
  '--seconds': 'recent',
  '--reap': 'recent',
  '--hitcount': 'recent',
  '--mask': 'recent',
  '--rsource': 'recent',
  '--rdest': 'recent',
  '--src-type': 'addrtype',
  '--dst-type': 'addrtype',
  '--ctstate': 'conntrack',
  '--mark': 'mark',
  '--nfacct-name': 'nfacct',
};

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** xtables_save_string: always double-quoted, `"` and `\` escaped. */
function saveString(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** `0x4000/0x4000` stays, a full mask is dropped, values are printed without leading zeros. */
function markValue(v: string): string {
  const [value, mask] = v.split('/');
  const val = hex(Number(value));
  if (mask === undefined) return val;
  const m = Number(mask) >>> 0;
  return m === 0xffffffff ? val : `${val}/${hex(m)}`;
}

const PLAIN_V4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** `-s/-d` as printed: a plain IPv4 address just gains /32 (the common case, kept cheap). */
function hostOrCidr(v: string, family: IpFamily): string {
  return family === 'ipv4' && PLAIN_V4.test(v) && v.split('.').every((o) => Number(o) <= 255) ? `${v}/32` : canonicalCidr(v);
}

function neg(o: Opt): string {
  return o.negated ? '! ' : '';
}

function renderMatch(m: Match, family: IpFamily): string {
  const out: string[] = [`-m ${m.module}`];
  const get = (name: string) => m.opts.find((o) => o.name === name);
  // Options printed as written, in iptables-save's order, when present.
  const pushPresent = (names: readonly string[]) => {
    for (const name of names) {
      const o = get(name);
      if (o) out.push(`${neg(o)}${name} ${o.value}`);
    }
  };
  switch (m.module) {
    case 'comment': {
      const c = get('--comment');
      if (c) out.push(`--comment ${saveString(unquote(c.value ?? ''))}`);
      break;
    }
    case 'tcp':
    case 'udp':
    case 'sctp':
      pushPresent(['--sport', '--dport']);
      break;
    case 'statistic': {
      const mode = get('--mode');
      const p = get('--probability');
      if (mode) out.push(`--mode ${mode.value}`);
      if (p) out.push(`${neg(p)}--probability ${iptablesProbability(p.value ?? '')}`);
      break;
    }
    case 'recent': {
      const cmd = ['--set', '--rcheck', '--update', '--remove'].find((n) => get(n));
      if (cmd) out.push(`${neg(get(cmd)!)}${cmd}`);
      const seconds = get('--seconds');
      if (seconds) out.push(`--seconds ${seconds.value}`);
      if (get('--reap')) out.push('--reap');
      const hitcount = get('--hitcount');
      if (hitcount) out.push(`--hitcount ${hitcount.value}`);
      out.push(`--name ${get('--name')?.value ?? 'DEFAULT'}`);
      const fullMask = family === 'ipv4' ? '255.255.255.255' : 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
      out.push(`--mask ${get('--mask')?.value ?? fullMask}`);
      out.push(get('--rdest') ? '--rdest' : '--rsource');
      break;
    }
    case 'addrtype':
      pushPresent(['--src-type', '--dst-type']);
      break;
    case 'mark': {
      const o = get('--mark');
      if (o) out.push(`${neg(o)}--mark ${markValue(o.value ?? '')}`);
      break;
    }
    default:
      for (const o of m.opts) out.push(`${neg(o)}${o.name}${o.value === null ? '' : ` ${o.value}`}`);
  }
  return out.join(' ');
}

function renderTarget(target: string, opts: Opt[], family: IpFamily): string {
  const parts = [`-j ${target}`];
  switch (target) {
    case 'MARK':
      for (const o of opts) {
        if (o.name === '--or-mark') parts.push(`--set-xmark ${hex(Number(o.value))}/${hex(Number(o.value))}`);
        else if (o.name === '--xor-mark') parts.push(`--set-xmark ${hex(Number(o.value))}/0x0`);
        else if (o.name === '--set-mark') parts.push(`--set-xmark ${hex(Number(o.value))}/0xffffffff`);
        else if (o.name === '--set-xmark') parts.push(`--set-xmark ${o.value}`);
        else parts.push(`${o.name}${o.value === null ? '' : ` ${o.value}`}`);
      }
      break;
    case 'REJECT': {
      const w = opts.find((o) => o.name === '--reject-with');
      parts.push(`--reject-with ${w?.value ?? (family === 'ipv4' ? 'icmp-port-unreachable' : 'icmp6-port-unreachable')}`);
      break;
    }
    default:
      for (const o of opts) parts.push(`${o.name}${o.value === null ? '' : ` ${o.value}`}`);
  }
  return parts.join(' ');
}

/** The iptables-save line (`-A CHAIN …`, no counters) for a rule kube-proxy wrote as `-A CHAIN <args>`. */
export function saveRuleText(chain: string, args: readonly string[], family: IpFamily): string {
  const generic: Record<string, Opt> = {};
  const matches: Match[] = [];
  let protocol: string | null = null;
  let target: string | null = null;
  let isGoto = false;
  const targetOpts: Opt[] = [];
  let negateNext = false;

  for (let i = 0; i < args.length; i++) {
    const tok = args[i]!;
    if (tok === '!') {
      negateNext = true;
      continue;
    }
    const negated = negateNext;
    negateNext = false;
    if (target !== null) {
      const takesValue = !FLAG_OPTIONS.has(tok) && i + 1 < args.length && !args[i + 1]!.startsWith('--');
      targetOpts.push({ name: tok, negated, value: takesValue ? args[++i]! : null });
      continue;
    }
    switch (tok) {
      case '-s':
      case '-d':
        generic[tok] = { name: tok, negated, value: hostOrCidr(args[++i]!, family) };
        continue;
      case '-i':
      case '-o':
        generic[tok] = { name: tok, negated, value: args[++i]! };
        continue;
      case '-p':
        protocol = args[++i]!.toLowerCase();
        generic[tok] = { name: tok, negated, value: protocol };
        continue;
      case '-m':
        matches.push({ module: args[++i]!, opts: [] });
        continue;
      case '-j':
      case '-g':
        isGoto = tok === '-g';
        target = args[++i]!;
        continue;
    }
    if (!tok.startsWith('--')) throw new Error(`unexpected token ${JSON.stringify(tok)} in rule for ${chain}`);
    const owner: string | null | undefined = tok === '--dport' || tok === '--sport' ? protocol : OPTION_MODULE[tok];
    let m: Match | undefined;
    for (let j = matches.length - 1; j >= 0; j--) {
      if (matches[j]!.module === owner) {
        m = matches[j];
        break;
      }
    }
    if (!m) {
      // `-p tcp --dport 80` without `-m tcp`: iptables loads the protocol match implicitly.
      if (owner !== protocol || protocol === null || !PROTO_MODULES.has(protocol)) {
        throw new Error(`option ${tok} without its match module in rule for ${chain}`);
      }
      m = { module: protocol, opts: [] };
      matches.push(m);
    }
    const takesValue = !FLAG_OPTIONS.has(tok);
    m.opts.push({ name: tok, negated, value: takesValue ? args[++i]! : null });
  }

  const out: string[] = [`-A ${chain}`];
  for (const name of ['-s', '-d', '-i', '-o', '-p']) {
    const o = generic[name];
    if (o) out.push(`${neg(o)}${name} ${o.value}`);
  }
  for (const m of matches) out.push(renderMatch(m, family));
  if (target !== null) {
    out.push(isGoto ? `-g ${target}` : renderTarget(target, targetOpts, family));
  }
  return out.join(' ');
}
