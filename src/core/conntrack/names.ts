/** Words of conntrack's output met on almost every line: one string each for the whole table, not one per entry. */
export const PROTOCOL_NAMES: readonly string[] = ['tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'gre', 'udplite', 'dccp', 'unknown'];
export const STATE_NAMES: readonly string[] = [
  'ESTABLISHED', 'TIME_WAIT', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSE', 'NONE', 'SYN_SENT2',
  'CLOSED', 'COOKIE_WAIT', 'COOKIE_ECHOED', 'SHUTDOWN_SENT', 'SHUTDOWN_RECD', 'SHUTDOWN_ACK_SENT', 'HEARTBEAT_SENT', 'HEARTBEAT_ACKED',
];
