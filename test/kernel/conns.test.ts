/** `kubechains conns` on a real kernel with kube-proxy's iptables rules (see conns-scenario.ts). */
import { IPTABLES_MODE, connsSuite } from './conns-scenario.js';

connsSuite(IPTABLES_MODE);
