/** Plain words for why a packet was dropped, rejected or masqueraded, from kube-proxy's comments. */
import { describeRef, type Branch } from './branch.js';
import type { CompiledRule } from './compile.js';
import { parseMark } from './values.js';

const NO_ENDPOINTS = /^(.+?) has no endpoints$/;
const NO_LOCAL_ENDPOINTS = /^(.+?) has no local endpoints$/;
const NOT_ACCEPTED_BY_FW = /^(.+?) traffic not accepted by (KUBE-FW-\S+)$/;

/** The reason for a DROP/REJECT rule's verdict; null when the rules do not say. */
export function verdictReason(cr: CompiledRule, b: Branch, verdict: 'DROP' | 'REJECT', dropBit: number): string | null {
  const c = cr.comment;
  if (c !== undefined) {
    let m = NO_ENDPOINTS.exec(c);
    if (m) return `${m[1]} has no endpoints`;
    m = NO_LOCAL_ENDPOINTS.exec(c);
    if (m) return `${m[1]} has no local endpoints (externalTrafficPolicy: Local and no endpoint on this node)`;
    m = NOT_ACCEPTED_BY_FW.exec(c);
    if (m) return `source not in loadBalancerSourceRanges of ${m[1]} (${m[2]})`;
  }
  // Older layouts: KUBE-FW/KUBE-XLB jump to KUBE-MARK-DROP, and KUBE-FIREWALL drops marked packets.
  if (verdict === 'DROP' && b.dropMarkedBy && (b.mark & dropBit) !== 0 && testsMark(cr, dropBit)) {
    const by = b.dropMarkedBy;
    return `marked for drop by KUBE-MARK-DROP (${by.chain} rule ${by.index}${by.comment ? `: ${by.comment}` : ''}), dropped by ${cr.where}`;
  }
  if (c !== undefined) return `${verdict === 'DROP' ? 'dropped' : 'rejected'} by ${cr.where} (${c})`;
  return null;
}

function testsMark(cr: CompiledRule, bit: number): boolean {
  return cr.rule.args.some((a) => {
    if (a.name !== '--mark' || a.module !== 'mark' || a.negated) return false;
    const mm = parseMark(a.values[0]);
    return mm !== null && (mm.value & mm.mask & bit) !== 0;
  });
}

/** "masqueraded: KUBE-EXT-… rule 1 (masquerade traffic for …)": who asked for it, else the NAT rule. */
export function natReason(b: Branch): string | null {
  if (!b.natRule || !b.natAction) return null;
  const who = b.natRule.chain === 'KUBE-POSTROUTING' && b.masqMarkedBy ? b.masqMarkedBy : b.natRule;
  return `${b.natAction}: ${describeRef(who)}`;
}
