/** `kubechains which QUERY`: each entry point of the matched service ports and every outcome of a packet to it. */
import { findServices, serviceType, type EntryKind } from '../../core/kube/index.js';
import { caseCondition, traceCases, type Assumption, type Outcome, type PathStep } from '../../core/trace/index.js';
import { buildDumpModel, isBuiltinChainStep, nftBaseChainTest, traceDump, entryLabel, formatMainLine, mainLine, missingServiceJumps, pathByHook, whichService, type EntryProbe, type ServiceWhich, type Tracer } from '../../core/index.js';
import { fuzzyServices } from '../fuzzy.js';
import { EXIT_NO_ANSWER, EXIT_OK, type Output } from '../io.js';
import { casesJson, outcomeJson, packetJson, serviceJson } from '../json.js';
import { outcomeHeadline, percent } from '../outcome-text.js';
import type { CommandContext } from './context.js';

const KIND_LABEL: Readonly<Record<EntryKind, string>> = {
  clusterIP: 'cluster IP',
  nodePort: 'node port',
  externalIP: 'external IP',
  loadBalancer: 'load-balancer IP',
};

export function whichCommand({ snapshot, dump, options, out, nodeAddresses }: CommandContext): number {
  const query = options.query ?? '';
  const model = buildDumpModel(dump);
  let services = findServices(model, query);
  const fuzzy = services.length === 0;
  if (fuzzy) services = fuzzyServices(model, query);
  if (services.length === 0) {
    const total = model.services.length;
    out.error(`kubechains: no service matches ${JSON.stringify(query)} (${total} service port${total === 1 ? '' : 's'} in ${snapshot.origin}; see kubechains services)`);
    return EXIT_NO_ANSWER;
  }
  // The dump's own tracer (nftables or iptables mode): the ruleset argument is the iptables part only.
  const trace: Tracer = (_rs, packet, node) => traceDump(dump, packet, node, { assume: options.assume });
  const results = services.map((s) => whichService(snapshot.ruleset, s, { nodeAddresses, client: options.src }, trace));
  const notes = [...missingServiceJumps(snapshot.ruleset), ...unusedAssumeNotes(options.assume, results)];
  if (options.json) {
    out.json({
      query,
      services: results.map(whichJson),
      match: fuzzy ? 'fuzzy' : 'exact',
      notes,
    });
    return EXIT_OK;
  }
  if (fuzzy) out.line(`no exact match for ${JSON.stringify(query)}; closest service ports:`);
  const isBase = dump.nft ? nftBaseChainTest(dump.nft) : isBuiltinChainStep;
  results.forEach((r, i) => {
    if (i > 0 || fuzzy) out.line();
    printService(r, out, isBase);
  });
  for (const note of notes) out.line(`note: ${note}`);
  return EXIT_OK;
}

/** An --assume that named no match on any entry point's path is said, not passed over. */
function unusedAssumeNotes(assume: readonly Assumption[], results: readonly ServiceWhich[]): string[] {
  const used = (text: string) => results.some((r) => r.probes.some((p) => !(p.result.unusedAssumptions ?? []).includes(text)));
  return assume.filter((a) => !used(a.text)).map((a) => `--assume '${a.text}' named no match these packets met`);
}

function whichJson(r: ServiceWhich) {
  return {
    ...serviceJson(r.service),
    entryPoints: r.probes.map((p) => ({
      kind: p.kind,
      address: p.address,
      port: p.port,
      protocol: p.protocol,
      outcomes: p.result.outcomes.map(outcomeJson),
      packet: packetJson(p.result.packet),
      cases: casesJson(p.result.outcomes),
    })),
    notes: [...r.notes],
  };
}

function printService(r: ServiceWhich, out: Output, isBase: (step: PathStep) => boolean): void {
  const s = r.service;
  const facts: string[] = [serviceType(s), s.protocol];
  if (s.externalTrafficPolicy) facts.push(`externalTrafficPolicy ${s.externalTrafficPolicy}`);
  if (s.sessionAffinitySeconds !== null) facts.push(`session affinity ${s.sessionAffinitySeconds}s`);
  out.line(`${s.id}  (${facts.join(', ')})`);
  if (s.endpoints.length === 0) out.line('  endpoints: none');
  for (const e of s.endpoints) {
    const local = e.local === null ? '' : e.local ? '  local' : '  remote';
    const counted = e.packets === null ? '' : `  ${e.packets} packet${e.packets === 1 ? '' : 's'}`;
    const problem = e.problem === 'empty-endpoint-chain' ? '  (no DNAT rule: the chain holds none)' : e.problem === 'missing-endpoint-chain' ? '  (no DNAT rule: the chain is not in the dump)' : '';
    out.line(`  endpoint ${e.address ?? 'no DNAT rule'}  ${e.chain}  ${percent(e.probability)}${local}${counted}${problem}`);
  }
  for (const probe of r.probes) printProbe(probe, out, isBase);
  for (const note of r.notes) out.line(`  note: ${note}`);
}

function printProbe(p: EntryProbe, out: Output, isBase: (step: PathStep) => boolean): void {
  out.line();
  out.line(`  ${KIND_LABEL[p.kind]} ${entryLabel(p.address, p.port, p.protocol)}, from ${p.packet.src}`);
  if (p.result.error) out.line(`    cannot trace: ${p.result.error}`);
  const cases = traceCases(p.result.outcomes);
  for (const c of cases) {
    // Undecided matches: each case on its own, its chances summing to 1.
    if (cases.length > 1) out.line(`    ${caseCondition(c)}:`);
    for (const o of c.outcomes) printOutcome(o, out, cases.length > 1 ? '  ' : '', isBase);
  }
}

function printOutcome(o: Outcome, out: Output, indent: string, isBase: (step: PathStep) => boolean): void {
  out.line(`${indent}    ${percent(o.probability)}  ${outcomeHeadline(o)}`);
  const segments = pathByHook(o.path, isBase);
  let shown = 0;
  segments.forEach((seg, i) => {
    // A hook whose rules all returned (its policy accepted) says nothing; the one that dropped does.
    const decided = i === segments.length - 1 && o.verdict !== 'ACCEPT';
    if (!decided && mainLine(seg.steps).every((st) => st.rule === null)) return;
    out.line(`${indent}      ${formatMainLine(seg)}`);
    shown++;
  });
  if (shown === 0) out.line(`${indent}      no rule matched: every hook accepted by policy`);
  if (o.reason) out.line(`${indent}      reason: ${o.reason}`);
  for (const a of o.assumptions) out.line(`${indent}      assumption: ${a}`);
}
