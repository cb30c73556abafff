/** A service port's type as kubectl names it, read from the entry points the model found. */
import type { ServicePort } from './types.js';

export type ServiceType = 'LoadBalancer' | 'NodePort' | 'ExternalIP' | 'ClusterIP';

/** The widest way in: a LoadBalancer has node ports too, a NodePort may also have external IPs. */
export function serviceType(s: ServicePort): ServiceType {
  if (s.loadBalancerIPs.length > 0) return 'LoadBalancer';
  if (s.nodePort !== null) return 'NodePort';
  if (s.externalIPs.length > 0) return 'ExternalIP';
  return 'ClusterIP';
}
