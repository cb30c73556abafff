/** Plain words for why kube-proxy's nftables rules dropped, rejected or masqueraded a packet. */
import type { NftChain, NftRule, NftTable } from '../types.js';
import { parseServiceChainName } from '../names.js';
import { stepRef, type NftBranch } from './branch.js';

interface RuleAt {
  readonly table: NftTable;
  readonly chain: NftChain;
  readonly rule: NftRule;
}

/**
 * The reason for a drop or reject: a firewall-… chain (source ranges), a no-endpoint element
 * ("ns/svc:p" drops at once when eTP=Local has no local endpoint, or goes to reject-chain when
 * the service has none), else the rule's own comment (cluster-ips-check), else where it happened.
 */
export function dropReason(at: RuleAt, b: NftBranch, verdict: 'drop' | 'reject'): string {
  const where = `${at.table.family} ${at.table.name} ${at.chain.name} rule ${at.rule.index}`;
  const fw = parseServiceChainName(at.chain.name);
  if (fw?.role === 'firewall') {
    return `source not in loadBalancerSourceRanges of ${b.element?.id ?? fw.id} (${at.chain.name})`;
  }
  const el = b.element;
  if (el !== null && (el.dropped || el.chain === at.chain.name)) {
    if (el.dropped) return `${el.id} has no local endpoints (externalTrafficPolicy: Local and no endpoint on this node)`;
    return `${el.id} has no endpoints`;
  }
  const did = verdict === 'drop' ? 'dropped' : 'rejected';
  return at.rule.comment !== null ? `${did} by ${where} (${at.rule.comment})` : `${did} by ${where}`;
}

/**
 * "masqueraded: external-… rule 2 (masquerade local traffic)": who asked for it (the setter of
 * the mark bit the masquerading chain cleared, else of a bit still set), else the NAT rule.
 */
export function natReason(b: NftBranch): string | null {
  if (b.natStep === null || b.natAction === null) return null;
  let who = b.natStep;
  if (b.natAction === 'masqueraded') {
    const bits = b.clearedBits !== 0 ? b.clearedBits : b.mark;
    who = b.markSetters.find((s) => (s.bits & bits) !== 0)?.by ?? who;
  }
  return `${b.natAction}: ${stepRef(who)}`;
}
