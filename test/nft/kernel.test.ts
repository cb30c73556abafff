/**
 * The nftables tracer against a real nf_tables kernel, in namespaces this file creates:
 *
 * - the corpus rulesets of the 11 flows are loaded with `nft -f`, and the kernel's own
 *   `nft list ruleset`, `nft -a list ruleset` and `nft -j list ruleset` must trace every flow
 *   exactly as the transaction form does (verdicts, DNATs, chances, paths, reasons);
 * - real TCP SYNs show in which order the kernel runs filter and nat chains of one hook: nat chains
 *   run at the NAT core's priority (-100 at prerouting) whatever their own, so a filter chain at
 *   -150 sees the address before DNAT even when the nat chain says -190, and one at -50 sees it
 *   after DNAT even when the nat chain says 50; and once one nat chain has DNATed, the next nat
 *   chain of the hook is not called at all. Rule counters say which rules saw the packet, and the
 *   trace must take exactly those.
 *
 * Needs root, ip, nft (skipped outside CI only, and says why).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNftables, traceNftPacket, type NftRuleset } from '../../src/core/nft/index.js';
import type { Outcome } from '../../src/core/trace/index.js';
import { inNs } from '../kernel/exec.js';
import { ScratchNamespace, Topology, connect, kernelUnavailableReason } from '../kernel/netns.js';
import { loadNftCorpus, nftCorpusDir, nftFlows, nftLocalIPs } from './nft-corpus.js';

function nftUnavailable(): string | null {
  const reason = kernelUnavailableReason();
  if (reason !== null) return reason;
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return null;
  } catch {
    return 'needs nft (apt-get install nftables)';
  }
}

const reason = nftUnavailable();
const skip = reason !== null && process.env.CI !== 'true';
const title = (name: string) => (skip ? `${name} (skipped outside CI: ${reason})` : name);

/** What must not depend on the form the ruleset was read from (lines and handles do). */
function comparable(o: Outcome) {
  return {
    verdict: o.verdict, dnat: o.dnat, masquerade: o.masquerade, probability: o.probability, reason: o.reason,
    delivery: o.delivery, endpointChain: o.endpointChain, case: o.case,
    path: o.path.map((s) => [s.table, s.nftFamily, s.chain, s.rule, s.target, s.goto ?? false, s.element ?? null, s.comment ?? null]),
  };
}

describe.skipIf(skip)(title('nftables tracer: the kernel\'s own listings trace like the corpus input'), () => {
  const dumps = [...new Set(nftFlows().map((f) => f.dump))];
  const forms = new Map<string, Record<string, NftRuleset>>();
  const namespaces: ScratchNamespace[] = [];

  beforeAll(() => {
    if (reason !== null) throw new Error(`real-kernel tests cannot run: ${reason}`);
    for (const dump of dumps) {
      const ns = ScratchNamespace.create('nftform');
      namespaces.push(ns);
      inNs(ns.name, 'nft', ['-f', '-'], fs.readFileSync(path.join(nftCorpusDir, dump), 'utf8'));
      const list = (args: string[]) => parseNftables(inNs(ns.name, 'nft', [...args, 'list', 'ruleset']));
      forms.set(dump, { text: list([]), handles: list(['-a']), json: list(['-j']) });
    }
  });
  afterAll(() => {
    for (const ns of namespaces) ns.destroy();
  });

  it('reads each listing without a diagnostic, in the form it is', () => {
    for (const dump of dumps) {
      const f = forms.get(dump)!;
      expect([f.text!.form, f.handles!.form, f.json!.form]).toEqual(['text', 'text', 'json']);
      for (const nft of Object.values(f)) expect(nft.diagnostics).toEqual([]);
    }
  });

  for (const flow of nftFlows()) {
    it(`${flow.dump}: ${flow.name}`, () => {
      const packet = { protocol: flow.protocol, src: flow.sourceIP, dst: flow.destIP, dport: flow.destPort };
      const node = { localAddresses: nftLocalIPs(flow.dump) };
      const expected = traceNftPacket(loadNftCorpus(flow.dump), packet, node).outcomes.map(comparable);
      for (const [form, nft] of Object.entries(forms.get(flow.dump)!)) {
        const r = traceNftPacket(nft, packet, node);
        expect({ form, outcomes: r.outcomes.map(comparable) }).toEqual({ form, outcomes: expected });
        if (form !== 'text') {
          for (const o of r.outcomes) for (const s of o.path) if (s.rule !== null) expect(s.handle).toBeGreaterThan(0);
        }
      }
    });
  }
});

const ORDER_RULESET = `table ip n {
	chain early {
		type nat hook prerouting priority -190; policy accept;
		ip daddr 10.96.0.1 dnat to 10.1.1.1
	}
	chain late {
		type nat hook prerouting priority 50; policy accept;
		ip daddr 10.96.0.2 dnat to 10.1.1.2
	}
}
table ip f {
${['before -150', 'after -50', 'after2 60'].map((c) => {
  const [name, prio] = c.split(' ');
  return `\tchain ${name} {
		type filter hook prerouting priority ${prio}; policy accept;
		ip daddr 10.96.0.1 counter meta mark set meta mark | 0x1
		ip daddr 10.1.1.1 counter meta mark set meta mark | 0x2
		ip daddr 10.96.0.2 counter meta mark set meta mark | 0x4
		ip daddr 10.1.1.2 counter meta mark set meta mark | 0x8
	}`;
}).join('\n')}
}
`;

/** Once one nat chain binds the connection, the NAT core calls no further nat chain of the hook. */
const BINDING_RULESET = `table ip n {
	chain one {
		type nat hook prerouting priority -100; policy accept;
		ip daddr 10.96.0.1 counter dnat to 10.1.1.1
	}
	chain two {
		type nat hook prerouting priority -90; policy accept;
		counter meta mark set meta mark | 0x1
		ip daddr 10.96.0.2 counter dnat to 10.1.1.2
	}
}
`;

/** The rules with a counter that the kernel counted, and the rules the trace took, as "chain#rule". */
async function countedAndTaken(topo: Topology, ruleset: string, table: string, dst: string): Promise<{ counted: string[]; taken: string[] }> {
  // Fresh counters for each packet.
  inNs(topo.nodeNs, 'nft', ['flush', 'ruleset']);
  inNs(topo.nodeNs, 'nft', ['-f', '-'], ruleset);
  await connect(topo.clientNs, dst, 80, { count: 1, timeoutMs: 1500 });
  const listed = parseNftables(inNs(topo.nodeNs, 'nft', ['-j', 'list', 'table', 'ip', table]));
  const counted = listed.tables[0]!.chains.flatMap((c) => c.rules.filter((r) => (r.counters?.packets ?? 0) > 0).map((r) => `${c.name}#${r.index}`));
  const nft = parseNftables(inNs(topo.nodeNs, 'nft', ['list', 'ruleset']));
  const r = traceNftPacket(nft, { protocol: 'tcp', src: topo.clientAddresses[0]!, dst, dport: 80 }, { localAddresses: topo.nodeLocalAddresses() });
  expect(r.outcomes).toHaveLength(1);
  const taken = r.outcomes[0]!.path.filter((s) => s.table === table && s.rule !== null).map((s) => `${s.chain}#${s.rule}`);
  return { counted, taken };
}

describe.skipIf(skip)(title('nftables tracer: filter and nat chain order at one hook, by real SYNs'), () => {
  let topo: Topology;

  beforeAll(() => {
    if (reason !== null) throw new Error(`real-kernel tests cannot run: ${reason}`);
    topo = Topology.create({ tag: 'nftord' });
    topo.routeFromClient(['10.96.0.0/24']);
    topo.addPodAddresses(['10.1.1.1', '10.1.1.2']);
  });
  afterAll(() => topo?.destroy());

  for (const dst of ['10.96.0.1', '10.96.0.2']) {
    it(`a SYN to ${dst}: the filter rules the trace takes are the ones the kernel counted`, async () => {
      const { counted, taken } = await countedAndTaken(topo, ORDER_RULESET, 'f', dst);
      expect(counted).toHaveLength(3);
      expect(taken).toEqual(counted);
    });
  }

  it('a nat chain after the one that DNATed is not called; without that DNAT it is', async () => {
    const bound = await countedAndTaken(topo, BINDING_RULESET, 'n', '10.96.0.1');
    expect(bound).toEqual({ counted: ['one#1'], taken: ['one#1'] });
    const unbound = await countedAndTaken(topo, BINDING_RULESET, 'n', '10.96.0.2');
    expect(unbound).toEqual({ counted: ['two#1', 'two#2'], taken: ['two#1', 'two#2'] });
  });
});
