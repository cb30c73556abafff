/**
 * One table twice in a dump (two nat tables of one family, as concatenated dumps give): the first
 * table that has a chain names it. The model finds chains by number where the parse gave one and
 * by name otherwise; both ways must land on the same chain.
 */
import { describe, expect, it } from 'vitest';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { parseIptablesSave } from '../../src/core/parse/index.js';

// Hand-written, not a kernel's: iptables-restore refuses a jump to an undeclared chain.
const DUMP = `*nat
:PREROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SEP-1111111111111111 - [0:0]
[0:0] -A PREROUTING -j KUBE-SERVICES
[0:0] -A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "ns/a:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA
[0:0] -A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "ns/b:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-BBBBBBBBBBBBBBBB
[0:0] -A KUBE-SVC-AAAAAAAAAAAAAAAA -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-1111111111111111
[0:0] -A KUBE-SVC-AAAAAAAAAAAAAAAA -j KUBE-SEP-2222222222222222
[3:180] -A KUBE-SEP-1111111111111111 -p tcp -m tcp -j DNAT --to-destination 10.64.0.1:8080
COMMIT
*nat
:KUBE-SVC-BBBBBBBBBBBBBBBB - [0:0]
:KUBE-SEP-1111111111111111 - [0:0]
:KUBE-SEP-2222222222222222 - [0:0]
[0:0] -A KUBE-SVC-BBBBBBBBBBBBBBBB -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-1111111111111111
[0:0] -A KUBE-SVC-BBBBBBBBBBBBBBBB -j KUBE-SEP-2222222222222222
[7:420] -A KUBE-SEP-1111111111111111 -p tcp -m tcp -j DNAT --to-destination 10.99.9.9:1
[5:300] -A KUBE-SEP-2222222222222222 -p tcp -m tcp -j DNAT --to-destination 10.64.0.2:8080
COMMIT
`;

describe('a nat table twice', () => {
  const ruleset = parseIptablesSave(DUMP);
  const model = buildKubeModel(ruleset);
  const endpoints = (id: string) =>
    model.byId.get(id)!.endpoints.map((e) => [e.chain, e.address, e.probability, e.packets, e.dnatRule?.line]);

  it('warns of the jumps the first table cannot resolve, and reads on', () => {
    expect(ruleset.diagnostics.map((d) => [d.severity, d.line])).toEqual([
      ['warning', 8],
      ['warning', 10],
    ]);
  });

  it('follows a jump to a chain only the second table declares (found by name)', () => {
    expect(model.byId.get('ns/b:http')!.chains.svc).toBe('KUBE-SVC-BBBBBBBBBBBBBBBB');
    expect(endpoints('ns/a:http')).toEqual([
      ['KUBE-SEP-1111111111111111', '10.64.0.1:8080', 0.5, 3, 11],
      ['KUBE-SEP-2222222222222222', '10.64.0.2:8080', 0.5, 5, 20],
    ]);
  });

  it("takes the first table's chain when the second table's rules jump to its namesake", () => {
    // KUBE-SVC-BBBB (second table) jumps to the second table's KUBE-SEP-1111; the first table's is the one that counts.
    expect(endpoints('ns/b:http')).toEqual([
      ['KUBE-SEP-1111111111111111', '10.64.0.1:8080', 0.5, 3, 11],
      ['KUBE-SEP-2222222222222222', '10.64.0.2:8080', 0.5, 5, 20],
    ]);
  });
});
