/** kube-proxy-shaped nat/filter rules for tests: services with N endpoints, as kube-proxy writes them. */
import { endpointChainName, serviceChainName } from '../../src/core/kube/names.js';

export interface ServiceSpec {
  readonly ns: string;
  readonly name: string;
  readonly clusterIP: string;
  readonly port: number;
  readonly endpoints: readonly string[]; // "ip:port"
  /** Session affinity timeout (ClientIP), when set. */
  readonly affinitySeconds?: number;
}

/** 'restore': what kube-proxy feeds iptables-restore (%0.10f); 'save': what iptables-save prints (%.11f of the kernel value). */
export type Form = 'restore' | 'save';

export function probabilityText(p: number, form: Form): string {
  return form === 'restore' ? p.toFixed(10) : (Math.round(p * 0x80000000) / 0x80000000).toFixed(11);
}

export function svcChain(s: ServiceSpec): string {
  return serviceChainName('KUBE-SVC-', `${s.ns}/${s.name}`, 'tcp');
}

export function sepChain(s: ServiceSpec, ep: string): string {
  return endpointChainName(`${s.ns}/${s.name}`, 'tcp', ep);
}

/** The nat table (with the built-in jumps) for these services. */
export function natTable(services: readonly ServiceSpec[], form: Form = 'save'): string {
  const decl: string[] = [
    ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-MARK-MASQ - [0:0]', ':KUBE-NODEPORTS - [0:0]', ':KUBE-POSTROUTING - [0:0]', ':KUBE-SERVICES - [0:0]',
  ];
  const rules: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ];
  for (const s of services) {
    const id = `${s.ns}/${s.name}`;
    const svc = svcChain(s);
    decl.push(`:${svc} - [0:0]`);
    rules.push(`-A KUBE-SERVICES -d ${s.clusterIP}/32 -p tcp -m comment --comment "${id} cluster IP" -m tcp --dport ${s.port} -j ${svc}`);
    rules.push(`-A ${svc} ! -s 10.244.0.0/16 -d ${s.clusterIP}/32 -p tcp -m comment --comment "${id} cluster IP" -m tcp --dport ${s.port} -j KUBE-MARK-MASQ`);
    const n = s.endpoints.length;
    if (s.affinitySeconds !== undefined) {
      for (const ep of s.endpoints) {
        const sep = sepChain(s, ep);
        rules.push(`-A ${svc} -m comment --comment "${id} -> ${ep}" -m recent --rcheck --seconds ${s.affinitySeconds} --reap --name ${sep} --mask 255.255.255.255 --rsource -j ${sep}`);
      }
    }
    s.endpoints.forEach((ep, i) => {
      const sep = sepChain(s, ep);
      const stat = i < n - 1 ? ` -m statistic --mode random --probability ${probabilityText(1 / (n - i), form)}` : '';
      rules.push(`-A ${svc} -m comment --comment "${id} -> ${ep}"${stat} -j ${sep}`);
    });
    for (const ep of s.endpoints) {
      const sep = sepChain(s, ep);
      const ip = ep.slice(0, ep.lastIndexOf(':'));
      const recent = s.affinitySeconds !== undefined ? ` -m recent --set --name ${sep} --mask 255.255.255.255 --rsource` : '';
      decl.push(`:${sep} - [0:0]`);
      rules.push(`-A ${sep} -s ${ip}/32 -m comment --comment "${id}" -j KUBE-MARK-MASQ`);
      rules.push(`-A ${sep} -p tcp -m comment --comment "${id}"${recent} -m tcp -j DNAT --to-destination ${ep}`);
    }
  }
  rules.push('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  return ['*nat', ...decl, ...rules.map((r) => `[0:0] ${r}`), 'COMMIT', ''].join('\n');
}
