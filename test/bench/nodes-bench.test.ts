/** The many-nodes bench: its flag and its report lines (the measurement itself runs in `npm run bench -- --only-nodes`). */
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../src/bench/args.js';
import { nodesReportLines } from '../../src/bench/nodes.js';
import { terminalReport, type BenchResult } from '../../src/bench/report.js';
import { machineInfo } from '../../src/bench/machine.js';

describe('--only-nodes', () => {
  it('measures many nodes only and prints without writing unless --out is given', () => {
    expect(parseBenchArgs(['--only-nodes'])).toMatchObject({ onlyNodes: true, nftables: false, out: null });
    expect(parseBenchArgs(['--only-nodes', '--out', 'x.md'])).toMatchObject({ onlyNodes: true, out: 'x.md' });
    expect(parseBenchArgs([])).toMatchObject({ onlyNodes: false });
    expect(parseBenchArgs(['--only-nodes', '--only-nftables'])).toHaveProperty('error');
  });

  it('reports time, CPU and peak RSS, or why they were not measured', () => {
    const run = { wallMs: 9000, cpuMs: 6000, maxRssMB: 240 };
    const n = { nodes: 50, services: 1000, dumpMB: 2, parallel: 8, diverging: 19, runs: [run], median: run };
    expect(nodesReportLines(n).join('\n')).toBe(
      'Many nodes: `kubechains nodes --json` over 50 nodes × 1,000 services (2.0 MB per node\'s dump, --parallel 8, 19 services diverging):\n' +
        '9,000 ms wall, 6,000 ms CPU (kubechains and every cat), peak RSS 240 MB (medians of 1 run).',
    );
    const r: BenchResult = { machine: machineInfo(), iptables: 'x', runs: 1, sizes: [], detail: null, nft: null, nodes: n, kernelSkipped: null, totalSeconds: 1 };
    expect(terminalReport(r)).toContain('peak RSS 240 MB');
    expect(nodesReportLines({ error: 'boom' })).toEqual(['Many nodes: not measured: boom']);
  });
});
