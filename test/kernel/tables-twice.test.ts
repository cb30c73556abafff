/**
 * What the kernel holds after iptables-restore of a dump with the nat table twice: the last
 * block, whole (legacy and nft backends alike). The model read from the dump must be the model
 * read from what the kernel then saves.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKubeModel, type KubeModel } from '../../src/core/kube/index.js';
import { findChain, parseIptablesSave } from '../../src/core/parse/index.js';
import { natTwice } from '../kube/tables-twice-dump.js';
import { ScratchNamespace, kernelGate, loadRuleset, saveRuleset } from './netns.js';

const gate = kernelGate();

function endpoints(model: KubeModel) {
  return model.services.map((s) => [s.id, s.endpoints.map((e) => [e.chain, e.address, e.probability, e.packets])]);
}

describe.skipIf(gate.skip)(gate.title('a nat table twice, restored by the kernel'), () => {
  beforeAll(() => gate.assertAvailable());

  it.each(['nft', 'legacy'] as const)('keeps the last block (%s backend)', (backend) => {
    const ns = ScratchNamespace.create('twice');
    try {
      const dump = natTwice();
      loadRuleset(ns.name, dump, { counters: true, backend });
      const saved = parseIptablesSave(saveRuleset(ns.name, { backend }));
      expect(findChain(saved, 'nat', 'KUBE-SVC-AAAAAAAAAAAAAAAA', 'ipv4')).toBeUndefined();
      expect(findChain(saved, 'nat', 'KUBE-SEP-1111111111111111', 'ipv4')!.rules.map((r) => r.text)).toEqual(
        findChain(parseIptablesSave(dump), 'nat', 'KUBE-SEP-1111111111111111', 'ipv4')!.rules.map((r) => r.text),
      );
      const fromKernel = endpoints(buildKubeModel(saved));
      expect(fromKernel).toEqual([['ns/b:http', [
        ['KUBE-SEP-1111111111111111', '10.99.9.9:1', 0.5, 7],
        ['KUBE-SEP-2222222222222222', '10.64.0.2:8080', 0.5, 5],
      ]]]);
      expect(endpoints(buildKubeModel(parseIptablesSave(dump)))).toEqual(fromKernel);
    } finally {
      ns.destroy();
    }
  });
});
