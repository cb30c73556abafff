/**
 * kube-proxy's standard jumps from the built-in chains. kube-proxy installs them with separate
 * `iptables -I` calls (EnsureRule, prepend), not through iptables-restore, so its restore-form
 * dumps (its own tests' dumps) hold none, and their hooks never reach KUBE-SERVICES. With
 * `kubeJumps` the parser adds the ones a dump lacks, each marked by line 0 (ASSUMED_LINE): no
 * line of the dump holds it, and every path that takes it says it was assumed.
 * Source: iptablesJumpChains / iptablesKubeletJumpChains in kube-proxy's pkg/proxy/iptables/proxier.go.
 */
import type { TableName } from './types.js';

/** The line of a rule no line of the dump holds: a jump added by `kubeJumps`. */
export const ASSUMED_LINE = 0;

export const KUBE_PROXY_JUMPS: Readonly<Partial<Record<TableName, readonly string[]>>> = {
  nat: [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  ],
  filter: [
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A INPUT -j KUBE-FIREWALL',
    '-A OUTPUT -j KUBE-FIREWALL',
  ],
};

/** The built-in chain and target of one of KUBE_PROXY_JUMPS. */
export function jumpEnds(rule: string): { chain: string; target: string } {
  const m = /^-A (\S+) .*-j (\S+)$/.exec(rule);
  if (!m) throw new Error(`not a jump: ${rule}`);
  return { chain: m[1]!, target: m[2]! };
}
