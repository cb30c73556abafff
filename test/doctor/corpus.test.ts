/**
 * doctor on every dump of kube-proxy's own tests: the findings read by hand once and kept here.
 * These dumps lack the hooks' jumps (kube-proxy's tests add none), so unreachable-kube-services
 * and no-masquerade are right on all but TestTracePacket. The partial-sync dumps
 * (TestSyncProxyRulesRepeated_2..8) jump to service chains they leave out: those services are
 * not known to lack endpoints, so no no-endpoints finding names them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildKubeModel, diagnose, parseIptablesSave } from '../../src/core/index.js';
import { corpusDir } from '../helpers/paths.js';

/** "severity kind service table chain rule" per finding, in doctor's order. */
const EXPECTED: Readonly<Record<string, readonly string[]>> = {
  'TestBadIPs.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
    'info source-ranges ns1/svc1:p80 nat KUBE-FW-XPGD46QRK7WJZT7O null',
  ],
  'TestCheckIPTablesRuleJumps_1.dump': [
    'error no-masquerade null nat POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
    'warning no-endpoints ns1/svc1:p80 nat KUBE-SVC-XPGD46QRK7WJZT7O null',
  ],
  'TestOverallIPTablesRules.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
    'warning no-endpoints ns6/svc6:p80 filter KUBE-SERVICES 1',
    'info no-local-endpoints ns2/svc2:p80 filter KUBE-EXTERNAL-SERVICES 1',
    'info source-ranges ns5/svc5:p80 nat KUBE-FW-NUKIZ6OKUXPJNT4C null',
  ],
  'TestParseIPTablesData_1.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
  ],
  'TestSortIPTablesRules_1.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
    'info no-local-endpoints ns2/svc2:p80 nat KUBE-SVL-GNZBNJ2PO5MGZ6GT 1',
    'info source-ranges ns2/svc2:p80 nat KUBE-FW-GNZBNJ2PO5MGZ6GT null',
  ],
  'TestSortIPTablesRules_2.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
    'info no-local-endpoints ns2/svc2:p80 nat KUBE-SVL-GNZBNJ2PO5MGZ6GT 1',
    'info source-ranges ns2/svc2:p80 nat KUBE-FW-GNZBNJ2PO5MGZ6GT null',
  ],
  'TestSyncProxyRulesRepeated_1.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
  ],
  'TestSyncProxyRulesRepeated_2.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
  ],
  'TestSyncProxyRulesRepeated_3.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
  ],
  'TestSyncProxyRulesRepeated_4.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
    'warning no-endpoints ns4/svc4:p80 filter KUBE-SERVICES 1',
  ],
  'TestSyncProxyRulesRepeated_5.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
  ],
  'TestSyncProxyRulesRepeated_6.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
  ],
  'TestSyncProxyRulesRepeated_7.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
  ],
  'TestSyncProxyRulesRepeated_8.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
  ],
  'TestSyncProxyRulesRepeated_9.dump': [
    'error no-masquerade null nat KUBE-POSTROUTING null',
    'error unreachable-kube-services null nat KUBE-SERVICES null',
  ],
  'TestTracePacket.dump': [
    'warning no-endpoints ns6/svc6:p80 filter KUBE-SERVICES 1',
    'info no-local-endpoints ns2/svc2:p80 filter KUBE-EXTERNAL-SERVICES 1',
    'info source-ranges ns5/svc5:p80 nat KUBE-FW-NUKIZ6OKUXPJNT4C null',
  ],
};

describe('doctor on the kube-proxy corpus', () => {
  const dumps = readdirSync(corpusDir).filter((f) => f.endsWith('.dump')).sort();

  it('has an expectation for every dump', () => {
    expect(dumps).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const name of dumps) {
    it(name, () => {
      const rs = parseIptablesSave(readFileSync(path.join(corpusDir, name), 'utf8'));
      const found = diagnose(rs, buildKubeModel(rs), { nodeAddresses: [] });
      expect(found.map((f) => `${f.severity} ${f.kind} ${f.service} ${f.table} ${f.chain} ${f.rule}`)).toEqual(EXPECTED[name]);
    });
  }

  // kube-proxy adds the hooks' jumps with iptables -I; --kube-jumps adds them back, and the two
  // findings they cause go: KUBE-SERVICES unreached, and KUBE-POSTROUTING (its MASQUERADE) unreached.
  // Every other finding stays, TestCheckIPTablesRuleJumps_1's missing KUBE-POSTROUTING chain too.
  for (const name of dumps) {
    it(`${name} with --kube-jumps`, () => {
      const rs = parseIptablesSave(readFileSync(path.join(corpusDir, name), 'utf8'), { kubeJumps: true });
      const found = diagnose(rs, buildKubeModel(rs), { nodeAddresses: [] });
      const hookFinding = (f: string) => f.includes(' unreachable-kube-services ') || f.startsWith('error no-masquerade null nat KUBE-POSTROUTING ');
      expect(found.map((f) => `${f.severity} ${f.kind} ${f.service} ${f.table} ${f.chain} ${f.rule}`)).toEqual(EXPECTED[name]!.filter((f) => !hookFinding(f)));
    });
  }
});
