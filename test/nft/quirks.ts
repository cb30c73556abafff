/**
 * A ruleset in the input form that exercises the format quirks of nftables.md §7 and the
 * statements the reader knows, beyond what kube-proxy writes: it loads on nft 1.0.6 (the kernel
 * test lists it back in three forms) and the hand cases read it without a kernel.
 */
export const QUIRKS_RULESET = `add table inet q { comment "quirks" ; }
add set inet q dyn { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
add set inet q ports { type inet_service ; flags interval ; }
add map inet q ifs { type ifname : verdict ; }
add chain inet q d
add chain inet q in { type filter hook input priority filter + 5 ; policy drop ; }
add chain inet q pre { type nat hook prerouting priority dstnat - 10 ; policy accept ; }
add chain inet q raw { type filter hook prerouting priority -300 ; }
add chain inet q post { type nat hook postrouting priority srcnat ; }
add rule inet q in ct state established,related accept
add rule inet q in ct state { established, related } accept
add rule inet q in ct state != new drop
add rule inet q in ct status dnat accept
add rule inet q in iif lo accept
add rule inet q in iifname "eth0" oifname "cni*" accept
add rule inet q in meta pkttype host accept
add rule inet q in tcp dport { 80, 443, 1000-2000 } accept
add rule inet q in ip saddr { 10.0.0.1-10.0.0.9 } drop
add rule inet q in th dport 30000-32767 continue
add rule inet q in meta l4proto { tcp, udp } goto d
add rule inet q in udp dport 53 notrack
add rule inet q in fib daddr type local ip daddr != 127.0.0.0/8 accept
add rule inet q in meta mark 0x10 ct mark set 0x20
add rule inet q in ip6 saddr fd00::/8 ip6 daddr { fd00::1, fd00::2 } drop
add rule inet q in ip6 daddr { fd00:10:96::/112 } drop
add rule inet q in tcp flags syn accept
add rule inet q in ip protocol tcp accept
add rule inet q in reject
add rule inet q in meta l4proto tcp reject with tcp reset
add rule inet q in reject with icmpx type admin-prohibited
add rule inet q in reject with icmp type host-unreachable
add rule inet q in update @dyn { ip saddr } accept
add rule inet q in ip saddr @dyn accept
add rule inet q in iifname vmap @ifs
add rule inet q in log prefix "dropped: " drop
add rule inet q in limit rate 10/second accept
add rule inet q in th dport @ports accept comment "named interval set"
add rule inet q in ct state vmap { invalid : drop, established : accept, related : accept }
add rule inet q in fib saddr . iif oif missing drop
add rule inet q in fib daddr . iif type != { local, broadcast, multicast } drop
add rule inet q in tcp flags & (fin|syn|rst|ack) == syn accept
add rule inet q in meta mark set ct mark
add rule inet q in ct original ip saddr 1.2.3.4 accept
add rule inet q in iifname { "eth0", "eth1" } accept
add rule inet q in tcp dport 22 ct state new limit rate over 5/minute burst 10 packets drop
add rule inet q pre meta l4proto tcp dnat ip to 10.180.0.1:80
add rule inet q pre meta l4proto tcp dnat ip6 to [fd00:10:180::1]:8080
add rule inet q post masquerade
add element inet q dyn { 172.16.1.152 timeout 1h }
add element inet q ports { 8000-8080, 9090 }
add element inet q ifs { "eth0" : accept, "lo" : jump d }
add table ip x
add map ip x m { type ipv4_addr : ipv4_addr ; }
add chain ip x c
add chain ip x d
add rule ip x c ip daddr vmap { 10.0.0.1 : accept, 10.0.0.2 : drop }
add rule ip x c dnat to ip daddr map @m
add rule ip x c dnat to 10.0.0.1
add rule ip x c tcp dport 80 redirect to :8080
add rule ip x c snat to 1.2.3.4 fully-random
add rule ip x c meta l4proto tcp masquerade to :1000-2000 random,persistent
add rule ip x c numgen inc mod 3 offset 1 vmap { 1 : jump d, 2 : jump d, 3 : return }
add rule ip x c meta mark & 0xff00 != 0x100 drop
add rule ip x c mark and 0x4000 == 0 return
add rule ip x c mark set mark or 0x4000
add rule ip x c meta mark set meta mark & 0xffff3fff
add rule ip x c icmp type echo-request accept
add rule ip x c ip saddr . tcp dport { 1.1.1.1 . 80, 2.2.2.2 . 443 } accept
add rule ip x c oif lo accept
add rule ip x c ip daddr 10.96.0.10 ip saddr != 10.0.0.0/8 jump d comment "a comment with spaces"
add element ip x m { 10.1.0.1 : 10.180.0.1, 10.1.0.2 : 10.180.0.2 }
add table ip6 kube-proxy { comment "rules for kube-proxy" ; }
add chain ip6 kube-proxy reject-chain { comment "helper" ; }
add chain ip6 kube-proxy ep
add rule ip6 kube-proxy reject-chain reject
add rule ip6 kube-proxy ep ip6 saddr fd00:10:180::2:1 jump reject-chain
add rule ip6 kube-proxy ep meta l4proto tcp dnat to [fd00:10:180::2:1]:80
add map ip6 kube-proxy no-endpoint-services { type ipv6_addr . inet_proto . inet_service : verdict ; comment "vmap" ; }
add element ip6 kube-proxy no-endpoint-services { fd00:172:30::41 . tcp . 80 comment "ns1/svc1:p80" : goto reject-chain }
add element ip6 kube-proxy no-endpoint-services { fd00:172:30::42 . udp . 53 comment "ns1/dns:dns" : drop }
`;
