/** `kubechains trace --dst IP:PORT`: every outcome of one new connection, rule by rule. */
import { tracePacket, familyOfIp, hostPort, type Packet, type TraceResult } from '../../core/trace/index.js';
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
  const result = tracePacket(snapshot.ruleset, packet, { localAddresses: nodeAddresses });
  if (result.error) {
    out.error(`kubechains: cannot trace ${packet.protocol} ${packet.src} -> ${hostPort(packet.dst, packet.dport)}: ${result.error}`);
    return EXIT_USAGE;
  }
  const notes = missingServiceJumps(snapshot.ruleset);
  if (options.json) {
    out.json({ ...traceJson(result), notes });
    return EXIT_OK;
  }
  printTrace(result, ctx);
  for (const note of notes) out.line(`note: ${note}`);
  return EXIT_OK;
}

function printTrace(result: TraceResult, { snapshot, out, nodeAddresses }: CommandContext): void {
  const p = result.packet;
  const from = p.origin === 'local' ? 'generated on this node' : 'arriving from the network';
  out.line(`packet  ${p.protocol} ${p.src} -> ${hostPort(p.dst, p.dport)}, new connection ${from} (${p.family === 'ipv6' ? 'IPv6' : 'IPv4'})`);
  out.line(
    nodeAddresses.length > 0
      ? `node    ${nodeAddresses.join(', ')} (and loopback) are local`
      : 'node    no node address given (--node-ip): only loopback counts as local',
  );
  const n = result.outcomes.length;
  out.line(`${n} outcome${n === 1 ? '' : 's'}`);
  result.outcomes.forEach((o, i) => {
    out.line();
    out.line(`outcome ${i + 1}: ${percent(o.probability)}  ${outcomeHeadline(o)}`);
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
  });
}
