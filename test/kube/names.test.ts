import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { endpointChainName, serviceChainName, sha256 } from '../../src/core/kube/names.js';

describe('kube-proxy chain names', () => {
  it('reproduces the seed notes\' chain names', () => {
    expect(serviceChainName('KUBE-SVC-', 'default/nginx', 'tcp')).toBe('KUBE-SVC-2CMXP7HKUVJN7L6M');
    expect(serviceChainName('KUBE-EXT-', 'default/nginx', 'TCP')).toBe('KUBE-EXT-2CMXP7HKUVJN7L6M');
    expect(endpointChainName('default/nginx', 'tcp', '10.64.2.4:80')).toBe('KUBE-SEP-YVT6EXXEKT4LDXBC');
    expect(serviceChainName('KUBE-SVC-', 'default/kubernetes:https', 'tcp')).toBe('KUBE-SVC-NPX46M4PTMTKRN6Y');
    expect(serviceChainName('KUBE-SVC-', 'kube-system/kube-dns:dns', 'udp')).toBe('KUBE-SVC-TCOU7JCQXEZGVUNU');
  });

  it('sha256 agrees with node:crypto across block boundaries, with buffers reused between calls', () => {
    for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 120, 200, 1000, 3, 64]) {
      const s = 'k'.repeat(len) + len;
      expect(Buffer.from(sha256(new TextEncoder().encode(s))).toString('hex')).toBe(createHash('sha256').update(s).digest('hex'));
    }
  });
});
