import { describe, expect, it } from 'vitest';
import { parseArgs, type CliOptions } from '../../src/cli/args.js';

function ok(argv: string[]): CliOptions {
  const r = parseArgs(argv);
  if (!r.ok) throw new Error(`expected success, got: ${r.message}`);
  return r.options;
}

function fail(argv: string[]): string {
  const r = parseArgs(argv);
  if (r.ok) throw new Error(`expected a usage error for ${argv.join(' ')}`);
  return r.message;
}

describe('parseArgs', () => {
  it('conns [SOURCE] [QUERY]: two words are SOURCE and QUERY; one is the SOURCE when it exists or is -, else the QUERY', () => {
    const seed = 'fixtures/seed-nodeport-cluster.save';
    expect([ok(['conns', seed, 'nginx']).source, ok(['conns', seed, 'nginx']).query]).toEqual([seed, 'nginx']);
    expect([ok(['conns', 'nginx']).source, ok(['conns', 'nginx']).query]).toEqual([null, 'nginx']);
    expect([ok(['conns', seed]).source, ok(['conns', seed]).query]).toEqual([seed, null]);
    expect([ok(['conns', '-', '--conntrack', 'ct.txt']).source, ok(['conns', '-', '--conntrack', 'ct.txt']).conntrack]).toEqual(['-', 'ct.txt']);
    expect(ok(['conns', seed, '--source-cmd', 'cat x']).query).toBe(seed);
    expect(ok(['conns', '--conntrack-cmd', 'ssh n conntrack -L']).conntrackCmd).toBe('ssh n conntrack -L');
    expect(fail(['conns', seed, 'a', 'b'])).toContain('unexpected argument b');
    expect(fail(['conns', '--conntrack', 'a', '--conntrack-cmd', 'b'])).toContain('not both');
    expect(fail(['conns', '-', '--conntrack', '-'])).toContain('not both');
    expect(fail(['which', 'x', '--conntrack', 'a'])).toContain('--conntrack does not apply to `which`');
    expect(ok(['--conntrack', 'ct.txt']).conntrack).toBe('ct.txt');
  });

  it('no arguments is the explorer on the local node', () => {
    const o = ok([]);
    expect(o.command).toBe('explore');
    expect(o.source).toBeNull();
    expect(o.sourceCmd).toBeNull();
  });

  it('reads subcommands, positionals and flags in any order', () => {
    const o = ok(['which', '--json', 'default/nginx', 'dump.save', '--node-ip', '10.0.0.1,fd00::1']);
    expect(o.command).toBe('which');
    expect(o.query).toBe('default/nginx');
    expect(o.source).toBe('dump.save');
    expect(o.json).toBe(true);
    expect(o.nodeIPs).toEqual(['10.0.0.1', 'fd00::1']);
  });

  it('parses trace flags, --flag=value and IPv6 destinations', () => {
    const o = ok(['trace', '-', '--dst=[FD00::10]:53', '--src', 'fd00::2', '--proto', 'UDP']);
    expect(o.source).toBe('-');
    expect(o.dst).toEqual({ address: 'fd00::10', port: 53 });
    expect(o.src).toBe('fd00::2');
    expect(o.proto).toBe('udp');
    const v4 = ok(['trace', 'f', '--dst', '10.32.0.61:80']);
    expect(v4.dst).toEqual({ address: '10.32.0.61', port: 80 });
    expect(v4.proto).toBeNull();
  });

  it('parses chain --table and the explorer --interval and --source-cmd', () => {
    expect(ok(['chain', 'KUBE-SERVICES', '--table', 'filter']).table).toBe('filter');
    const e = ok(['--source-cmd', 'cat x', '--interval', '0.5']);
    expect(e.command).toBe('explore');
    expect(e.sourceCmd).toBe('cat x');
    expect(e.intervalSeconds).toBe(0.5);
  });

  it('treats everything after -- as positionals', () => {
    expect(ok(['services', '--', '--json']).source).toBe('--json');
  });

  it('help and version win over everything else', () => {
    expect(ok(['trace', '--help']).help).toBe(true);
    expect(ok(['trace', '--help']).command).toBe('trace');
    expect(ok(['help', 'which']).command).toBe('which');
    expect(ok(['-h']).help).toBe(true);
    expect(ok(['--version']).version).toBe(true);
  });

  it.each([
    [['--bogus'], /unknown option --bogus/],
    [['services', '-x'], /unknown option -x/],
    [['trace', 'f', '--dst'], /--dst needs a value/],
    [['trace', 'f', '--dst', '--json'], /--dst needs a value/],
    [['trace', 'f', '--dst', '10.0.0.300:80'], /is not an IP address/],
    [['trace', 'f', '--dst', '10.0.0.1'], /expected IP:PORT/],
    [['trace', 'f', '--dst', '10.0.0.1:0'], /outside 1-65535/],
    [['trace', 'f', '--dst', '10.0.0.1:http'], /not a port number/],
    [['trace', 'f', '--dst', 'fd00::1:80'], /\[ADDRESS\]:PORT/],
    [['trace', 'f', '--dst', '10.0.0.1:80', '--src', 'nope'], /--src nope is not an IP address/],
    [['trace', 'f', '--dst', '10.0.0.1:80', '--src', 'fd00::1'], /not the same IP family/],
    [['trace', 'f', '--dst', '10.0.0.1:80', '--proto', 'icmp'], /expected tcp, udp or sctp/],
    [['trace', 'f'], /needs --dst/],
    [['which', '--node-ip', '10.0.0.1,,10.0.0.2', 'q'], /no empty entries/],
    [['which', '--node-ip', '10.0.0.1,x', 'q'], /--node-ip x is not an IP address/],
    [['which'], /needs a QUERY/],
    [['chain'], /needs a chain NAME/],
    [['chain', 'X', '--table', 'bo/gus'], /expected one of raw, mangle, nat, filter, security, or an nftables table/],
    [['services', 'a', 'b'], /unexpected argument b/],
    [['services', 'a', '--source-cmd', 'cat a'], /either a SOURCE/],
    [['services', '--dst', '1.2.3.4:5'], /--dst does not apply to `services`/],
    [['--interval', '0'], /--interval 0/],
    [['services', '--interval', '2'], /does not apply/],
    [['services', '--json=yes'], /takes no value/],
    [['trace', 'f', '--dst', '1.2.3.4:5', '--dst', '1.2.3.4:6'], /given twice/],
  ])('refuses %j', (argv, message) => {
    const m = fail(argv);
    expect(m).toMatch(message);
    expect(m).not.toContain('\n');
  });

  it('names the command in a usage error so the hint can point at its help', () => {
    const r = parseArgs(['trace', '--bogus']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.command).toBe('trace');
  });
});
