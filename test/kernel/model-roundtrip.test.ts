/**
 * The model must not care whether it reads what kube-proxy feeds iptables-restore or what
 * `iptables-save -c` prints back (/32 added, options reordered, 11-decimal probabilities,
 * --or-mark turned into --set-xmark). Each restore form is loaded into a network namespace,
 * saved again by the kernel, and both forms must give the same services.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKubeModel, type KubeModel } from '../../src/core/kube/index.js';
import { serviceJson } from '../../src/cli/json.js';
import { generateKubeProxyRules, randomClusterSpec, type CounterRef } from '../../src/gen/kubeproxy.js';
import { parseCleanly } from '../helpers/parse.js';
import { corpusDir, fixturesDir } from '../helpers/paths.js';
import { ScratchNamespace, kernelGate, loadRuleset, saveRuleset } from './netns.js';
import { kernelClusterSpec } from './specs.js';

interface Case {
  readonly name: string;
  /** What is fed to iptables-restore. */
  readonly restoreText: string;
  /** What is fed to ip6tables-restore, for dual-stack fixtures. */
  readonly restoreText6?: string;
  /** fixtures/src/NAME.backend: `legacy` when the fixture was built with iptables-legacy. */
  readonly backend?: 'nft' | 'legacy';
  /** The restore form carries [packets:bytes]: load with -c and compare counters too. */
  readonly counters: boolean;
}

// `-m nfacct --nfacct-name X` needs nfacct objects to exist in the kernel (kube-proxy creates
// them with nfnetlink_acct); a fresh namespace has none, so iptables-restore would refuse the
// rule. The match only counts, it never changes a verdict, so the comparison is unaffected.
function stripNfacct(text: string): string {
  return text.replace(/ -m nfacct --nfacct-name \S+/g, '');
}

// TestTracePacket.dump writes multi-word comments without quotes (kube-proxy's test parser
// keeps the first word); iptables rejects them, so its kernel form quotes them.
function quoteBareComments(text: string): string {
  return text.replace(/--comment ((?:[^"\s-]\S*)(?: (?!-)\S+)+)(?= -|$)/gm, '--comment "$1"');
}

function loadCases(): { cases: Case[]; kernelRejects: Case[] } {
  const cases: Case[] = [];
  const src = (file: string) => path.join(fixturesDir, 'src', file);
  for (const file of fs.readdirSync(path.join(fixturesDir, 'src')).sort()) {
    if (!file.endsWith('.rules')) continue;
    const base = file.slice(0, -'.rules'.length);
    const v6 = fs.existsSync(src(`${base}.rules6`)) ? fs.readFileSync(src(`${base}.rules6`), 'utf8') : undefined;
    // ip6tables-nft 1.8.9 drops IPv6 rule counters on restore; such fixtures say `legacy`.
    const backend = fs.existsSync(src(`${base}.backend`)) && fs.readFileSync(src(`${base}.backend`), 'utf8').trim() === 'legacy' ? 'legacy' : 'nft';
    cases.push({
      name: `fixture ${file}${v6 ? ` + ${base}.rules6` : ''}${backend === 'legacy' ? ' (iptables-legacy)' : ''}`,
      restoreText: fs.readFileSync(src(file), 'utf8'),
      ...(v6 ? { restoreText6: v6 } : {}),
      backend,
      counters: true,
    });
  }
  const index = JSON.parse(fs.readFileSync(path.join(corpusDir, 'dumps.json'), 'utf8')) as {
    dumps: Array<{ file: string; kind: string }>;
  };
  const kernelRejects: Case[] = [];
  // Partial syncs jump to chains they do not declare, and helper fixtures are not kube-proxy
  // output: only full syncs and the static tracer input are whole rulesets.
  for (const d of index.dumps.filter((d) => d.kind === 'expected-full-sync' || d.kind === 'static-input')) {
    const raw = fs.readFileSync(path.join(corpusDir, d.file), 'utf8');
    const text = stripNfacct(raw);
    const quoted = quoteBareComments(text);
    if (quoted !== text) {
      kernelRejects.push({ name: `corpus ${d.file} as written`, restoreText: text, counters: false });
      cases.push({ name: `corpus ${d.file} with its bare comments quoted`, restoreText: quoted, counters: false });
    } else {
      cases.push({ name: `corpus ${d.file}`, restoreText: text, counters: false });
    }
  }
  cases.push(...generatedCases());
  return { cases, kernelRejects };
}

/** Distinct, deterministic counters per rule, so a counter read off the wrong rule shows. */
function counterFor(ref: CounterRef): readonly [number, number] {
  let h = 7;
  for (const ch of `${ref.table}/${ref.chain}/${ref.rule ?? 'policy'}`) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const packets = h % 100_000;
  return [packets, packets * 60 + (h % 7)];
}

/** kube-proxy's own restore text from the generator: both layouts, many endpoints, large-cluster mode. */
function generatedCases(): Case[] {
  const hand = kernelClusterSpec();
  const random = randomClusterSpec({ seed: 7, services: 60, maxEndpointsPerService: 9 });
  const gen = (name: string, text: string): Case => ({ name: `generated ${name}`, restoreText: text, counters: true });
  return [
    gen('hand-picked, current layout', generateKubeProxyRules(hand, { layout: 'current', form: 'restore', counters: counterFor })),
    gen('hand-picked, legacy layout', generateKubeProxyRules(hand, { layout: 'legacy', form: 'restore', counters: counterFor })),
    gen('random 60 services, current layout', generateKubeProxyRules(random, { layout: 'current', form: 'restore', counters: counterFor })),
    gen('random 60 services, legacy layout', generateKubeProxyRules(random, { layout: 'legacy', form: 'restore', counters: counterFor })),
    // Above the threshold kube-proxy drops the SVC->SEP and SEP comments: the model must follow jumps.
    gen(
      'random 60 services, current layout, large-cluster mode',
      generateKubeProxyRules(random, { layout: 'current', form: 'restore', counters: counterFor, largeClusterThreshold: 10 }),
    ),
  ];
}

/** What must survive the round trip; probabilities are compared apart, to 1e-9. */
function servicesJson(model: KubeModel, counters: boolean) {
  return model.services.map((s) => {
    const j = serviceJson(s);
    return {
      ...j,
      packets: counters ? j.packets : undefined,
      bytes: counters ? j.bytes : undefined,
      endpoints: j.endpoints.map((e) => ({
        ...e,
        probability: Math.round(e.probability * 1e9) / 1e9,
        packets: counters ? e.packets : undefined,
        bytes: counters ? e.bytes : undefined,
      })),
    };
  });
}

function projection(model: KubeModel, counters: boolean) {
  return {
    layout: model.layout,
    services: model.services.map((s) => ({
      id: s.id,
      family: s.family,
      protocol: s.protocol,
      clusterIP: s.clusterIP,
      port: s.port,
      nodePort: s.nodePort,
      externalIPs: [...s.externalIPs].sort(),
      loadBalancerIPs: [...s.loadBalancerIPs].sort(),
      loadBalancerSourceRanges: [...s.loadBalancerSourceRanges].sort(),
      externalTrafficPolicy: s.externalTrafficPolicy,
      internalTrafficPolicy: s.internalTrafficPolicy,
      sessionAffinitySeconds: s.sessionAffinitySeconds,
      chains: s.chains,
      endpoints: s.endpoints.map((e) => ({
        address: e.address,
        chain: e.chain,
        local: e.local,
        ...(counters ? { packets: e.packets, bytes: e.bytes } : {}),
      })),
      ...(counters ? { packets: s.packets, bytes: s.bytes } : {}),
      entryPoints: s.entryPoints.map((p) => ({
        kind: p.kind,
        address: p.address,
        port: p.port,
        protocol: p.protocol,
        at: p.rule ? `${p.rule.table}/${p.rule.chain}#${p.rule.index}` : null,
      })),
      blockingRules: s.blockingRules.map((r) => `${r.table}/${r.chain}#${r.index} -j ${r.target}`),
    })),
  };
}

function probabilities(model: KubeModel): number[] {
  return model.services.flatMap((s) => s.endpoints.map((e) => e.probability));
}

const gate = kernelGate();
const { cases, kernelRejects } = loadCases();

describe.skipIf(gate.skip)(gate.title('kube model: restore form and the kernel\'s iptables-save -c agree'), () => {
  beforeAll(() => gate.assertAvailable());

  // A namespace per case: a legacy-backend load would otherwise leave tables that the nft
  // tools of the next case report on.
  function withNamespace<T>(fn: (ns: string) => T): T {
    const ns = ScratchNamespace.create('rt');
    try {
      return fn(ns.name);
    } finally {
      ns.destroy();
    }
  }

  it('covers the seed fixtures, the corpus full syncs and generated rulesets', () => {
    // Guards against an empty loop: 4 seed fixtures, 4 full syncs + the static tracer input.
    expect(cases.filter((c) => c.name.startsWith('fixture seed-')).length).toBe(4);
    expect(cases.filter((c) => c.name.startsWith('corpus ')).length).toBe(5);
    expect(cases.filter((c) => c.name.startsWith('generated ')).length).toBe(5);
  });

  it.each(kernelRejects.map((c) => [c.name, c] as const))('the kernel refuses %s', (_name, c) => {
    withNamespace((ns) => expect(() => loadRuleset(ns, c.restoreText)).toThrow(/iptables-restore/));
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const backend = c.backend ?? 'nft';
    const saveText = withNamespace((ns) => {
      loadRuleset(ns, c.restoreText, { counters: c.counters, backend });
      if (c.restoreText6 !== undefined) loadRuleset(ns, c.restoreText6, { counters: c.counters, backend, family: 'ipv6' });
      const v4 = saveRuleset(ns, { backend });
      return c.restoreText6 === undefined ? v4 : v4 + saveRuleset(ns, { backend, family: 'ipv6' });
    });
    expect(saveText).toMatch(/^# Generated by ip(6)?tables-save/m);

    const restoreText = c.restoreText + (c.restoreText6 ?? '');
    const fromRestore = buildKubeModel(parseCleanly(restoreText, 'restore form'));
    const fromSave = buildKubeModel(parseCleanly(saveText, 'iptables-save -c output'));
    expect(fromRestore.services.length, 'services in the restore form').toBeGreaterThan(0);
    if (c.restoreText6 !== undefined) expect(fromRestore.services.some((s) => s.family === 'ipv6'), 'IPv6 services').toBe(true);
    expect(projection(fromSave, c.counters)).toEqual(projection(fromRestore, c.counters));
    // The very objects `kubechains services --json` prints, probabilities to 1e-9 (the save form
    // prints iptables' 11-decimal rounding of kube-proxy's 10 decimals).
    expect(servicesJson(fromSave, c.counters)).toEqual(servicesJson(fromRestore, c.counters));

    const pr = probabilities(fromRestore);
    const ps = probabilities(fromSave);
    expect(ps.length).toBe(pr.length);
    ps.forEach((p, i) => expect(Math.abs(p - pr[i]!), `endpoint probability #${i}: ${p} vs ${pr[i]}`).toBeLessThanOrEqual(1e-9));
  });
});
