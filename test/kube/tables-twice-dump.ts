/** A dump with the nat table twice, shared by the unit test and the real-kernel test. */

/** Each block declares what it uses, so iptables-restore takes it as it is. */
export function natTwice(counters: { first: number; second: number } = { first: 3, second: 7 }): string {
  return `*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SEP-1111111111111111 - [0:0]
[0:0] -A PREROUTING -j KUBE-SERVICES
[0:0] -A OUTPUT -j KUBE-SERVICES
[0:0] -A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "ns/a:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA
[0:0] -A KUBE-SVC-AAAAAAAAAAAAAAAA -j KUBE-SEP-1111111111111111
[${counters.first}:180] -A KUBE-SEP-1111111111111111 -p tcp -m tcp -j DNAT --to-destination 10.64.0.1:8080
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-BBBBBBBBBBBBBBBB - [0:0]
:KUBE-SEP-1111111111111111 - [0:0]
:KUBE-SEP-2222222222222222 - [0:0]
[0:0] -A PREROUTING -j KUBE-SERVICES
[0:0] -A OUTPUT -j KUBE-SERVICES
[0:0] -A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "ns/b:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-BBBBBBBBBBBBBBBB
[0:0] -A KUBE-SVC-BBBBBBBBBBBBBBBB -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-1111111111111111
[0:0] -A KUBE-SVC-BBBBBBBBBBBBBBBB -j KUBE-SEP-2222222222222222
[${counters.second}:420] -A KUBE-SEP-1111111111111111 -p tcp -m tcp -j DNAT --to-destination 10.99.9.9:1
[5:300] -A KUBE-SEP-2222222222222222 -p tcp -m tcp -j DNAT --to-destination 10.64.0.2:8080
COMMIT
`;
}
