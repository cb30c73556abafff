/**
 * A dump in either kube-proxy mode: an iptables-save text, an nftables ruleset (text, JSON or
 * kube-proxy's transaction form), or both at once (a node half-way through the migration, read
 * with iptables-save and nft). The faces load, model and trace through here, so that every
 * command and screen answers for whichever mode the dump holds.
 */
import { diagnose, sortFindings } from './doctor/doctor.js';
import { finding } from './doctor/place.js';
import type { DoctorContext, Finding } from './doctor/types.js';
import { modelFromServices, buildKubeModel } from './kube/model.js';
import type { KubeModel, ServicePort } from './kube/types.js';
import { buildNftKubeModel, isKubeProxyTable, looksLikeNftables, parseNftables, traceNftPacket } from './nft/index.js';
import type { NftRuleset } from './nft/types.js';
import { parseIptablesSave, type ParseOptions } from './parse/parser.js';
import { TABLE_NAMES, type Diagnostic, type Ruleset } from './parse/types.js';
import { tracePacket } from './trace/tracer.js';
import type { NodeContext, Packet, PathStep, TraceOptions, TraceResult } from './trace/types.js';

export interface Dump {
  /** The iptables-mode rules; an empty ruleset when the input is an nftables ruleset only. */
  readonly ruleset: Ruleset;
  /** The nftables ruleset, null when the input is an iptables-save dump. */
  readonly nft: NftRuleset | null;
}

export type KubeProxyMode = 'iptables' | 'nftables';

/**
 * Reads `text` as whichever it is. `nftText` is a second input read from nft on the same node
 * (the local source reads iptables-save and nft both): its tables named like iptables' own in
 * the ip/ip6 families are iptables-nft's, already in `text`, and are left out of `nft`.
 */
export function parseDump(text: string, options: ParseOptions & { readonly nftText?: string } = {}): Dump {
  const { nftText, ...iptablesOptions } = options;
  if (nftText === undefined) {
    if (looksLikeNftables(text)) return { ruleset: emptyRuleset(), nft: parseNftables(text) };
    return { ruleset: parseIptablesSave(text, iptablesOptions), nft: null };
  }
  // A node without iptables-save (nftables mode only) gives nft's output alone.
  const ruleset = text.trim() === '' ? emptyRuleset() : parseIptablesSave(text, iptablesOptions);
  const nft = parseNftables(nftText);
  if (ruleset.tables.length === 0) return { ruleset, nft };
  const own = withoutIptablesNftTables(nft);
  // Only iptables-nft's tables: an iptables-mode node, whose rules iptables-save already gave.
  return { ruleset, nft: own.tables.length === 0 && own.diagnostics.length === 0 ? null : own };
}

/** The iptables part of a dump that has none: no tables, nothing to say about them. */
export function emptyRuleset(): Ruleset {
  return {
    tables: [],
    info: { generator: null, generatedAt: null, hasCounters: false, notes: [], familyAssumed: null },
    diagnostics: [],
    trailingLines: [],
  };
}

function withoutIptablesNftTables(nft: NftRuleset): NftRuleset {
  const iptablesOwn = (family: string, name: string) => (family === 'ip' || family === 'ip6') && (TABLE_NAMES as readonly string[]).includes(name);
  return { ...nft, tables: nft.tables.filter((t) => !iptablesOwn(t.family, t.name)) };
}

export function dumpDiagnostics(dump: Dump): Diagnostic[] {
  return dump.nft ? [...dump.ruleset.diagnostics, ...dump.nft.diagnostics] : dump.ruleset.diagnostics;
}

/** The kube-proxy modes whose rules the dump holds (both on a node mid-migration, none on a node without kube-proxy). */
export function kubeProxyModes(dump: Dump): KubeProxyMode[] {
  const modes: KubeProxyMode[] = [];
  if (hasKubeChains(dump.ruleset)) modes.push('iptables');
  if (dump.nft?.tables.some(isKubeProxyTable)) modes.push('nftables');
  return modes;
}

function hasKubeChains(ruleset: Ruleset): boolean {
  return ruleset.tables.some((t) => t.chainsByName.has('KUBE-SERVICES') || t.chainsByName.has('KUBE-NODEPORTS'));
}

/** Services of both modes, iptables' first: each carries its mode. */
export function buildDumpModel(dump: Dump): KubeModel {
  const iptables = buildKubeModel(dump.ruleset);
  if (dump.nft === null) return iptables;
  const nft = buildNftKubeModel(dump.nft);
  if (iptables.services.length === 0 && iptables.layout === 'none') return nft;
  const services: ServicePort[] = [...iptables.services, ...nft.services];
  return modelFromServices(services, iptables.layout !== 'none' ? iptables.layout : nft.layout);
}

export const BOTH_MODES_NOTE =
  'both kube-proxy modes have rules on this node: traced through the nftables ruleset only; the iptables-mode rules run in the kernel too, at their own hooks, and are not part of this trace';

/**
 * One packet through the dump: the nftables ruleset when there is one, else the iptables rules.
 * With both modes present the kernel runs both; the trace follows nftables' and says so.
 */
export function traceDump(dump: Dump, packet: Packet, node: NodeContext, options: TraceOptions = {}): TraceResult {
  const modes = kubeProxyModes(dump);
  if (dump.nft === null || (!modes.includes('nftables') && modes.includes('iptables'))) return tracePacket(dump.ruleset, packet, node, options);
  const result = traceNftPacket(dump.nft, packet, node, options);
  if (!modes.includes('iptables')) return result;
  return { ...result, outcomes: result.outcomes.map((o) => ({ ...o, assumptions: [...o.assumptions, BOTH_MODES_NOTE] })) };
}

/** doctor over the dump: the iptables findings, and `both-modes` when both kube-proxy modes wrote rules. */
export function diagnoseDump(dump: Dump, model: KubeModel, context: DoctorContext): Finding[] {
  return sortFindings([...diagnose(dump.ruleset, model, context), ...modeFindings(dump, model)]);
}

/** What the dump's modes say: `both-modes` when kube-proxy rules of both are there. */
export function modeFindings(dump: Dump, model: KubeModel): Finding[] {
  return kubeProxyModes(dump).length === 2 ? [bothModesFinding(dump, model)] : [];
}

function bothModesFinding(dump: Dump, model: KubeModel): Finding {
  const count = (mode: KubeProxyMode) => model.services.filter((s) => (s.mode ?? 'iptables') === mode).length;
  const tables = (dump.nft?.tables ?? []).filter(isKubeProxyTable).map((t) => `table ${t.family} ${t.name}`);
  return finding('both-modes', 'warning', null, {
    service: null,
    message: `both kube-proxy modes have rules here: iptables mode (KUBE-SERVICES, ${count('iptables')} service ports) and nftables mode (${tables.join(', ')}, ${count('nftables')} service ports); the kernel runs both, each at its own hooks`,
    hint: 'a migration between modes left the old rules behind, or two kube-proxies run: check which kube-proxy runs and in which --proxy-mode; the old mode\'s rules go with `kube-proxy --cleanup` run while kube-proxy is stopped, then start it in the mode wanted',
  });
}

/** The nft rule a trace step took, as nft prints it; null when the step is a policy or not in the dump. */
export function nftStepText(dump: Dump, step: PathStep): string | null {
  if (step.rule === null || dump.nft === null) return null;
  const table = dump.nft.tables.find((t) => t.name === step.table && (step.nftFamily === undefined || t.family === step.nftFamily));
  const rule = table?.chainsByName.get(step.chain)?.rules[step.rule - 1];
  if (!rule) return null;
  return step.element ? `${rule.text}  [${step.element}]` : rule.text;
}
