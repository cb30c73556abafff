/**
 * The tracer's hook order against a real kernel. Three network namespaces (client, node, pod);
 * in the node every built-in chain of raw/mangle/nat/filter jumps to an empty counting chain.
 * For each connection the chains whose jump counted are exactly the chains the tracer walks
 * (nat only sees a connection's first packet, the other tables every packet: same set).
 * Needs root, `ip`, `iptables`/`iptables-save`: skipped outside CI when missing, always run under CI=true.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinChains, parseIptablesSave, type TableName } from '../../src/core/parse/index.js';
import { tracePacket } from '../../src/core/trace/index.js';

const TABLES: TableName[] = ['raw', 'mangle', 'nat', 'filter'];
const NS = { client: `kc-tr-${process.pid}-c`, node: `kc-tr-${process.pid}-n`, pod: `kc-tr-${process.pid}-p` };
const NODE_IPS = ['10.77.0.2', '10.77.1.1'];

function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { input, encoding: 'utf8', timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] });
}
const inNs = (ns: string, cmd: string, args: string[], input?: string) => run('ip', ['netns', 'exec', ns, cmd, ...args], input);

function unavailable(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root';
  for (const [cmd, arg] of [['ip', '-V'], ['iptables', '-V'], ['iptables-save', '--version']] as const) {
    try {
      run(cmd, [arg]);
    } catch {
      return `${cmd} not installed`;
    }
  }
  return null;
}

const reason = unavailable();
const skip = reason !== null && process.env.CI !== 'true';

/** Every built-in chain jumps to CNT-<chain> for the test ports; two DNATs for the NAT cases. */
function countingRuleset(): string {
  return TABLES.map((t) => {
    const chains = builtinChains(t);
    const lines = [`*${t}`, ...chains.map((c) => `:${c} ACCEPT [0:0]`), ...chains.map((c) => `:CNT-${c} - [0:0]`)];
    for (const c of chains) lines.push(`-A ${c} -p tcp -m multiport --dports 8080,9090 -j CNT-${c}`);
    if (t === 'nat') {
      lines.push('-A OUTPUT -d 10.99.0.1/32 -p tcp -m tcp --dport 9090 -j DNAT --to-destination 10.77.0.2:8080');
      lines.push('-A PREROUTING -d 10.99.0.2/32 -p tcp -m tcp --dport 9090 -j DNAT --to-destination 10.77.1.2:8080');
    }
    lines.push('COMMIT');
    return lines.join('\n');
  }).join('\n') + '\n';
}

const LISTENER = `const s=require('net').createServer(c=>c.end());s.listen(8080,'0.0.0.0',()=>console.log('ready'));setTimeout(()=>process.exit(0),120000);`;
const connector = (host: string, port: number) =>
  `const c=require('net').connect({host:'${host}',port:${port}},()=>c.end());c.on('close',()=>process.exit(0));` +
  `c.on('error',e=>{console.error(e.message);process.exit(1)});setTimeout(()=>process.exit(2),5000);`;

describe.skipIf(skip)(skip ? `kernel hook order (skipped outside CI: ${reason})` : 'kernel hook order', () => {
  const listeners: ChildProcess[] = [];

  beforeAll(async () => {
    if (reason !== null) throw new Error(`kernel hook test cannot run: ${reason}`);
    for (const ns of Object.values(NS)) {
      run('ip', ['netns', 'add', ns]);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    run('ip', ['link', 'add', 'c0', 'netns', NS.client, 'type', 'veth', 'peer', 'name', 'n0', 'netns', NS.node]);
    run('ip', ['link', 'add', 'n1', 'netns', NS.node, 'type', 'veth', 'peer', 'name', 'p0', 'netns', NS.pod]);
    const addr = (ns: string, dev: string, cidr: string) => {
      run('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', dev]);
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    };
    addr(NS.client, 'c0', '10.77.0.1/24');
    addr(NS.node, 'n0', '10.77.0.2/24');
    addr(NS.node, 'n1', '10.77.1.1/24');
    addr(NS.pod, 'p0', '10.77.1.2/24');
    run('ip', ['-n', NS.client, 'route', 'add', 'default', 'via', '10.77.0.2']);
    run('ip', ['-n', NS.pod, 'route', 'add', 'default', 'via', '10.77.1.1']);
    // The node's own service VIP for nat OUTPUT needs a route to leave by; lo keeps it local.
    run('ip', ['-n', NS.node, 'route', 'add', '10.99.0.0/24', 'dev', 'lo']);
    inNs(NS.node, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    inNs(NS.node, 'iptables-restore', [], countingRuleset());
    for (const ns of [NS.node, NS.pod]) {
      const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
      listeners.push(p);
      await new Promise<void>((resolve, reject) => {
        p.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        p.on('exit', (code) => reject(new Error(`listener in ${ns} exited (${code})`)));
      });
    }
  });

  afterAll(() => {
    for (const p of listeners) p.kill();
    for (const ns of Object.values(NS)) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        // already gone (setup failed before creating it)
      }
    }
  });

  /** Connects, then reads which CNT jumps counted; returns them with the tracer's view. */
  function compare(fromNs: string, src: string, dst: string, dport: number) {
    for (const t of TABLES) inNs(NS.node, 'iptables', ['-t', t, '-Z']);
    inNs(fromNs, process.execPath, ['-e', connector(dst, dport)]);
    const saved = parseIptablesSave(inNs(NS.node, 'iptables-save', ['-c']));
    const kernel = new Set<string>();
    for (const table of saved.tables) {
      for (const r of table.rules) {
        if (r.target?.startsWith('CNT-') && (r.counters?.packets ?? 0) > 0) kernel.add(`${table.name} ${r.chain}`);
      }
    }
    const traced = tracePacket(saved, { protocol: 'tcp', src, dst, dport }, { localAddresses: NODE_IPS });
    expect(traced.outcomes).toHaveLength(1);
    const o = traced.outcomes[0]!;
    const walked = new Set(o.path.filter((s) => s.target.startsWith('CNT-')).map((s) => `${s.table} ${s.chain}`));
    return { kernel: [...kernel].sort(), walked: [...walked].sort(), outcome: o };
  }

  it('from the network to the node: PREROUTING then INPUT, nat INPUT included', () => {
    const { kernel, walked, outcome } = compare(NS.client, '10.77.0.1', '10.77.0.2', 8080);
    expect(walked).toEqual(kernel);
    expect(kernel).toContain('nat INPUT');
    expect(outcome.delivery).toBe('local');
  });

  it('from the network through the node: FORWARD and POSTROUTING', () => {
    const { kernel, walked, outcome } = compare(NS.client, '10.77.0.1', '10.77.1.2', 8080);
    expect(walked).toEqual(kernel);
    expect(kernel).toContain('filter FORWARD');
    expect(outcome.delivery).toBe('forward');
  });

  it('DNAT in nat PREROUTING to a pod: forwarded', () => {
    const { kernel, walked, outcome } = compare(NS.client, '10.77.0.1', '10.99.0.2', 9090);
    expect(walked).toEqual(kernel);
    expect(outcome.dnat).toBe('10.77.1.2:8080');
    expect(outcome.delivery).toBe('forward');
  });

  it('from the node out: OUTPUT then POSTROUTING', () => {
    const { kernel, walked, outcome } = compare(NS.node, '10.77.1.1', '10.77.1.2', 8080);
    expect(walked).toEqual(kernel);
    expect(outcome.delivery).toBe('output');
  });

  it('from the node to itself: back over loopback without nat PREROUTING/INPUT', () => {
    for (const [src, dst] of [['127.0.0.1', '127.0.0.1'], ['10.77.0.2', '10.77.0.2']] as const) {
      const { kernel, walked, outcome } = compare(NS.node, src, dst, 8080);
      expect(walked).toEqual(kernel);
      expect(kernel).toContain('filter INPUT');
      expect(kernel).not.toContain('nat INPUT');
      expect(kernel).not.toContain('nat PREROUTING');
      expect(outcome.delivery).toBe('local');
    }
  });

  it('from the node to a VIP DNATed in nat OUTPUT to a node address: loopback delivery', () => {
    const { kernel, walked, outcome } = compare(NS.node, '10.77.0.2', '10.99.0.1', 9090);
    expect(walked).toEqual(kernel);
    expect(outcome.dnat).toBe('10.77.0.2:8080');
    expect(outcome.delivery).toBe('local');
  });
});
