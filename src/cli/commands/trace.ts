/** `kubechains trace --dst IP:PORT`: every outcome of one new connection, rule by rule. */
import { tracePacket, traceCases, caseCondition, familyOfIp, hostPort, type Outcome, type Packet, type TraceResult } from '../../core/trace/index.js';
import { DEFAULT_CLIENT, missingServiceJumps } from '../../core/index.js';
import { EXIT_OK, EXIT_USAGE } from '../io.js';
import { traceJson } from '../json.js';
import { outcomeHeadline, percent, stepLabel, stepText } from '../outcome-text.js';
import type { CommandContext } from './context.js';

export function traceCommand(ctx: CommandContext): number {
  const { snapshot, options, out, nodeAddresses } = ctx;
  const dst = options.dst!; // parseArgs refuses `trace` without --dst
  const family = familyOfIp(dst.address) ?? 'ipv4';
  const packet: Packet = {
    protocol: options.proto ?? 'tcp',
    src: options.src ?? DEFAULT_CLIENT[family],
    dst: dst.address,
    dport: dst.port,
  };
  const result = tracePacket(snapshot.ruleset, packet, { localAddresses: nodeAddresses }, { assume: options.assume });
  if (result.error) {
    out.error(`kubechains: cannot trace ${packet.protocol} ${packet.src} -> ${hostPort(packet.dst, packet.dport)}: ${result.error}`);
    return EXIT_USAGE;
  }
  const notes = [...missingServiceJumps(snapshot.ruleset), ...unusedAssumeNotes(result)];
  if (options.json) {
    out.json({ ...traceJson(result), notes });
    return EXIT_OK;
  }
  printTrace(result, ctx);
  for (const note of notes) out.line(`note: ${note}`);
  return EXIT_OK;
}

function printTrace(result: TraceResult, ctx: CommandContext): void {
  const { out, nodeAddresses } = ctx;
  const p = result.packet;
  const from = p.origin === 'local' ? 'generated on this node' : 'arriving from the network';
  out.line(`packet  ${p.protocol} ${p.src} -> ${hostPort(p.dst, p.dport)}, new connection ${from} (${p.family === 'ipv6' ? 'IPv6' : 'IPv4'})`);
  out.line(
    nodeAddresses.length > 0
      ? `node    ${nodeAddresses.join(', ')} (and loopback) are local`
      : 'node    no node address given (--node-ip): only loopback counts as local',
  );
  const n = result.outcomes.length;
  const cases = traceCases(result.outcomes);
  if (cases.length === 1) out.line(`${n} outcome${n === 1 ? '' : 's'}`);
  else out.line(`${n} outcomes in ${cases.length} cases (the dump cannot decide some matches: chances add up within a case, not across cases)`);
  for (const c of cases) {
    if (cases.length > 1) {
      out.line();
      out.line(`${caseCondition(c)}:`);
    }
    for (const o of c.outcomes) printOutcome(o, result.outcomes.indexOf(o) + 1, result, ctx);
  }
}

function printOutcome(o: Outcome, number: number, result: TraceResult, { snapshot, out }: CommandContext): void {
  const p = result.packet;
  out.line();
  out.line(`outcome ${number}: ${percent(o.probability)}  ${outcomeHeadline(o)}`);
  const labels = o.path.map(stepLabel);
  // A loop, not Math.max(...spread): a hostile dump's path can be too long to spread as arguments.
  let width = 0;
  for (const l of labels) width = Math.max(width, l.length);
  o.path.forEach((step, j) => {
    out.line(`  ${labels[j]!.padEnd(width)}  ${stepText(snapshot.ruleset, p.family, step)}`);
  });
  if (o.path.length === 0) out.line('  (no rule matched: every chain fell through to its policy)');
  out.line(`  verdict: ${o.verdict}`);
  out.line(`  dnat: ${o.dnat ?? 'none'}${o.endpointChain ? ` by ${o.endpointChain}` : ''}`);
  out.line(`  masquerade: ${o.masquerade ? 'yes' : 'no'}`);
  if (o.reason) out.line(`  reason: ${o.reason}`);
  for (const a of o.assumptions) out.line(`  assumption: ${a}`);
}

/** "--assume 'X=true' named no match this packet met": a typo should not pass in silence. */
function unusedAssumeNotes(result: TraceResult): string[] {
  return (result.unusedAssumptions ?? []).map((a) => `--assume '${a}' named no match this packet met`);
}
