/** `kubechains conns` on a real kernel with kube-proxy's nftables rules, the iptables suite's cluster (see conns-scenario.ts). */
import { NFTABLES_MODE, connsSuite } from './conns-scenario.js';

connsSuite(NFTABLES_MODE);
