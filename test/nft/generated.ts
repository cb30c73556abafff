/**
 * A kube-proxy-shaped transaction of many services (nftables.md §2-§3), for proving the reader
 * on what only size brings out: element lists wrapped over hundreds of lines in hash order, long
 * numgen vmaps, many chains. Not kube-proxy's exact names (the hashes are counters): the reader
 * does not care, the kernel checks the syntax.
 */
export interface GeneratedOptions {
  readonly services: number;
  readonly endpoints: number;
  readonly family: 'ip' | 'ip6';
}

function hash8(n: number): string {
  return n.toString(36).toUpperCase().padStart(8, 'A');
}

export function generatedTransaction(o: GeneratedOptions): string {
  const f = o.family;
  const v6 = f === 'ip6';
  const addrType = v6 ? 'ipv6_addr' : 'ipv4_addr';
  const clusterIP = (i: number): string => (v6 ? `fd00:172:30::${(i + 1).toString(16)}` : `172.30.${(i >> 8) & 255}.${i & 255}`);
  const podIP = (i: number): string => (v6 ? `fd00:10:180::${(i + 1).toString(16)}` : `10.180.${(i >> 8) & 255}.${i & 255}`);
  const externalIP = (i: number): string => (v6 ? `2001:db8::${(i + 1).toString(16)}` : `192.168.${(i >> 8) & 255}.${i & 255}`);
  const podCIDR = v6 ? 'fd00:10::/64' : '10.0.0.0/8';
  const t = `${f} kube-proxy`;
  const out: string[] = [
    `add table ${t} { comment "rules for kube-proxy" ; }`,
    `add set ${t} cluster-ips { type ${addrType} ; comment "Active ClusterIPs" ; }`,
    `add set ${t} nodeport-ips { type ${addrType} ; comment "IPs that accept NodePort traffic" ; }`,
    `add map ${t} service-ips { type ${addrType} . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add map ${t} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
    `add map ${t} no-endpoint-services { type ${addrType} . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
    `add chain ${t} mark-for-masquerade`,
    `add rule ${t} mark-for-masquerade mark set mark or 0x4000`,
    `add chain ${t} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`,
    `add rule ${t} reject-chain reject`,
    `add chain ${t} services`,
    `add rule ${t} services ${f} daddr . meta l4proto . th dport vmap @service-ips`,
    `add rule ${t} services ${f} daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports`,
    `add chain ${t} nat-prerouting { type nat hook prerouting priority -100 ; }`,
    `add rule ${t} nat-prerouting jump services`,
    `add element ${t} nodeport-ips { ${v6 ? '2001:db8:1::2' : '192.168.0.2'} }`,
  ];
  let ep = 0;
  for (let s = 0; s < o.services; s++) {
    const base = `ns${s % 7}/svc${s}/tcp/p80`;
    const svc = `service-${hash8(s)}-${base}`;
    const port = 80 + (s % 3);
    out.push(`add element ${t} cluster-ips { ${clusterIP(s)} }`);
    if (s % 10 === 9) {
      // no endpoints: rejected through the no-endpoint map, with the element comment in the key
      out.push(`add element ${t} no-endpoint-services { ${clusterIP(s)} . tcp . ${port} comment "ns${s % 7}/svc${s}:p80" : goto reject-chain }`);
      continue;
    }
    const n = 1 + (s % o.endpoints);
    const eps: string[] = [];
    for (let e = 0; e < n; e++, ep++) eps.push(`endpoint-${hash8(ep)}-${base}__${v6 ? podIP(ep).replace(/:/g, '.') : podIP(ep)}/8080`);
    out.push(`add chain ${t} ${svc}`);
    out.push(`add rule ${t} ${svc} ${f} daddr ${clusterIP(s)} ${f} saddr != ${podCIDR} jump mark-for-masquerade`);
    for (let e = 0; e < n; e++) {
      const ip = podIP(ep - n + e);
      out.push(`add chain ${t} ${eps[e]}`);
      out.push(`add rule ${t} ${eps[e]} ${f} saddr ${ip} jump mark-for-masquerade`);
      out.push(`add rule ${t} ${eps[e]} meta l4proto tcp dnat to ${v6 ? `[${ip}]` : ip}:8080`);
    }
    out.push(`add rule ${t} ${svc} numgen random mod ${n} vmap { ${eps.map((e, i) => `${i} : goto ${e}`).join(' , ')} }`);
    out.push(`add element ${t} service-ips { ${clusterIP(s)} . tcp . ${port} : goto ${svc} }`);
    if (s % 4 === 0) {
      const ext = `external-${hash8(s)}-${base}`;
      out.push(`add chain ${t} ${ext}`);
      out.push(`add rule ${t} ${ext} jump mark-for-masquerade`);
      out.push(`add rule ${t} ${ext} goto ${svc}`);
      out.push(`add element ${t} service-ips { ${externalIP(s)} . tcp . ${port} : goto ${ext} }`);
      out.push(`add element ${t} service-nodeports { tcp . ${30000 + s} : goto ${ext} }`);
    }
  }
  return out.join('\n') + '\n';
}
