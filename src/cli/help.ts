/** What `--help` prints, overall and per command. */
import type { Command } from './args.js';

const SOURCE_HELP = `SOURCE is a dump file (iptables-save -c > FILE), or - for standard input.
Without SOURCE, --source-cmd 'COMMAND' runs COMMAND through /bin/sh and reads its
output; with neither, kubechains runs this node's iptables-save -c (as root).`;

const OVERALL = `kubechains: explore the iptables rules kube-proxy writes

Usage:
  kubechains [SOURCE] [--interval S] [--node-ip IP,...]       the explorer (TUI)
  kubechains services [SOURCE] [--json]                       every service port
  kubechains which QUERY [SOURCE] [--assume 'EXPR=true|false']... [--json]
                                                              which KUBE-SEPs a service hits
  kubechains chain NAME [SOURCE] [--table T] [--json]         one chain's rules with counters
  kubechains trace [SOURCE] --dst IP:PORT [--src IP] [--proto tcp|udp|sctp]
                   [--node-ip IP,...] [--assume 'EXPR=true|false']... [--json]
                                                              every outcome of one packet
  kubechains doctor [SOURCE] [--node-ip IP,...] [--conntrack F] [--json]
                                                              what is wrong on this node
  kubechains conns [SOURCE] [--conntrack F|-] [--conntrack-cmd CMD] [--node-ip IP,...]
                   [QUERY] [--json]                           live connections per endpoint

${SOURCE_HELP}

Options:
  --json              machine-readable output
  --source-cmd CMD    read the dump from CMD's standard output
  --node-ip IP,...    the node's own addresses (what addrtype LOCAL matches)
  --conntrack F       the conntrack table (conntrack -L > F, or - for standard input)
  --conntrack-cmd CMD read the conntrack table from CMD's standard output
  --kube-jumps        add kube-proxy's standard jumps from the built-in chains
                      that the dump lacks (its test dumps have none); every path
                      through one says it was assumed
  -h, --help          help (also: kubechains COMMAND --help)
  -V, --version       print the version

Exit codes: 0 success, 1 no answer (unknown service or chain; doctor: an error
found), 2 bad input or usage.`;

const PER_COMMAND: Readonly<Record<Command, string>> = {
  explore: `Usage: kubechains [SOURCE] [--source-cmd CMD] [--interval S] [--node-ip IP,...]

The interactive explorer: services, hooks, chains, endpoints and the tracer.
With --source-cmd or the local node as source, the dump is re-read every
--interval seconds (default 2; longer when the source is slower), a file when
it changes; packets per second and the rows that counted since the last
refresh are shown, p pauses. A failed refresh keeps the last good dump.

${SOURCE_HELP}`,
  services: `Usage: kubechains services [SOURCE] [--source-cmd CMD] [--json]

Lists every service port kube-proxy programmed: type, cluster IP, node port,
endpoints (total/local), external traffic policy and the packets its
endpoints' DNAT rules counted.

--json prints {"services": [...]}, one entry per service port.

${SOURCE_HELP}`,
  which: `Usage: kubechains which QUERY [SOURCE] [--source-cmd CMD] [--src IP] [--node-ip IP,...]
                        [--assume 'EXPR=true|false']... [--json]

Which endpoints (KUBE-SEP chains) a service reaches, from each of its entry
points (cluster IP, node port, external IPs, load-balancer IPs), with the
chain path, DNAT, probability, masquerade and verdict of every outcome.

QUERY is namespace/name[:port], a cluster IP[:port], a node port, or a word
matched fuzzily against service names.

Packets come from an outside client (203.0.113.10 unless --src). Node ports
are traced to the first --node-ip (or this node's address for a local source;
otherwise 192.0.2.1, as a note says).

Matches the dump cannot decide (-m set, ...) split the outcomes into cases,
shown as "if ..." groups; --assume decides them as for trace (see
kubechains trace --help).

${SOURCE_HELP}`,
  chain: `Usage: kubechains chain NAME [SOURCE] [--source-cmd CMD] [--table T] [--json]

One chain's rules with counters, as iptables -L -v -n --line-numbers shows
them, with its policy and how many rules jump to it. Without --table the
chain is looked up in nat, then filter, mangle, raw and security.

${SOURCE_HELP}`,
  trace: `Usage: kubechains trace [SOURCE] --dst IP:PORT [--src IP] [--proto tcp|udp|sctp]
                        [--node-ip IP,...] [--assume 'EXPR=true|false']...
                        [--source-cmd CMD] [--json]

Every outcome of one new connection: the path rule by rule through the
netfilter hooks, DNAT, masquerade, the verdict and its probability.

  --dst IP:PORT      destination; IPv6 as [ADDRESS]:PORT
  --src IP           source (default 203.0.113.10, an outside client); a node
                     address is traced as generated on the node
  --proto P          tcp (default), udp or sctp
  --node-ip IP,...   the node's own addresses
  --assume 'EXPR=true|false'
                     decide a match the dump cannot decide (repeatable).
                     EXPR names it by module, option and values, as the
                     "if ..." lines and each outcome's "case" write them;
                     leading dashes optional, whole words, e.g.
                     'match-set KUBE-LOOP-BACK=false' or
                     'physdev --physdev-is-in=true'. The value is the
                     match's own truth: a rule with "!" before it matches
                     when it is false. A malformed one exits 2.

Only -m statistic --mode random is a probability. Other matches are decided
from the packet and the node where the kernel would (conntrack state, marks
set on the path; a routed packet is not bridged, so physdev options are
false), or by --assume. What is still undecided (-m set, -m owner, ...)
splits the outcomes into cases, shown as "if ..." groups, one per
combination that matters: probabilities sum to 1 within each case, never
across cases. --json keeps its fields and adds each outcome's "case" (its
decisions as EXPR=VALUE) and "cases": [{"assumes": [...], "outcomes":
[indexes]}].

${SOURCE_HELP}`,
  doctor: `Usage: kubechains doctor [SOURCE] [--source-cmd CMD] [--node-ip IP,...] [--kube-jumps]
                         [--conntrack F|- | --conntrack-cmd CMD] [--json]

What is wrong on this node, most severe first: services without endpoints or
without local endpoints, drops that counted, leftover and empty kube-proxy
chains, service rules printed without their port (iptables version skew),
missing masquerade, hooks that never reach KUBE-SERVICES, shadowed
frontends, rules of the other iptables backend, and matches the tracer cannot
decide. Each finding says where it lives and what to do.

--json prints {"findings": [{"kind", "severity", "service", "table", "chain",
"rule", "message", "hint"}]}; severity is error, warning or info.

Exit codes: 0 no error found, 1 an error found (for scripts and cron jobs),
2 bad input or usage.

With --conntrack F or --conntrack-cmd CMD, also skewed-connections (info): a
service port with at least 20 live connections where one endpoint holds at
least 25 points more than its share of new connections, by more than chance
explains (below one in a million); with session affinity that is expected,
and the finding says so.

${SOURCE_HELP}`,
  conns: `Usage: kubechains conns [SOURCE] [--conntrack F|-] [--conntrack-cmd CMD] [--node-ip IP,...]
                        [--source-cmd CMD] [QUERY] [--json]

The connections conntrack holds now, per service port and endpoint: how many,
in which state, and how many were masqueraded. A connection belongs to a
service port and endpoint when it was sent to a frontend of the port (cluster
IP:port, node IP:node port, external or load-balancer IP:port, same protocol)
and the endpoint answered (the reply's source); it was masqueraded when the
reply goes to another address than the client's. Everything else (ICMP,
traffic to no service) is unmatched. UDP and other state-less entries count as
UNREPLIED, ASSURED or SEEN_REPLY (a reply seen, not yet assured).

The table: --conntrack F (conntrack -L [-o extended] > F, or a copy of
/proc/net/nf_conntrack), --conntrack - (standard input), --conntrack-cmd CMD
(e.g. 'ssh node sudo conntrack -L'); with none of them and no SOURCE, as root
on the node, conntrack -L and conntrack -L -f ipv6. No table: exit 2.

Node ports count on --node-ip (else this node's addresses, else the nftables
@nodeport-ips set) and on localhost; with no node address known, on any
address that is not a service's, and the output says it assumed so.

QUERY (namespace/name[:port], a cluster IP[:port], a node port or a word)
keeps the service ports it matches; unmatched still counts the whole table.
With one argument, - or a path that exists is the SOURCE, anything else the QUERY.

--json prints {"services": [{"id", "connections", "endpoints": [{"address",
"connections", "states": {STATE: n}, "masqueraded"}], "family", "protocol"}],
"unmatched": n, "entries": n, "assumptions": [...]}: every service port with
endpoints, 0s included.

${SOURCE_HELP}`,
};

export function helpText(command: Command | null): string {
  return command === null ? OVERALL : command === 'explore' ? OVERALL : PER_COMMAND[command];
}

/** The hint under a usage error. */
export function helpHint(command: Command | null): string {
  return command === null || command === 'explore' ? 'kubechains --help' : `kubechains ${command} --help`;
}
