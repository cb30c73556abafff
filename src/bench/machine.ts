/** What the numbers were measured on. */
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export interface MachineInfo {
  readonly cpus: number;
  readonly model: string;
  readonly node: string;
  readonly date: string;
  /** 1-minute load average when the run started: other work on the machine inflates wall times. */
  readonly loadAverage: number;
  readonly kernel: string;
}

export function machineInfo(): MachineInfo {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) model = line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // not Linux: os.cpus() said it
  }
  const nproc = spawnSync('nproc', [], { encoding: 'utf8' });
  const n = Number(nproc.stdout?.trim());
  const uname = spawnSync('uname', ['-sr'], { encoding: 'utf8' });
  return {
    cpus: Number.isFinite(n) && n > 0 ? n : cpus().length,
    model,
    node: process.version,
    date: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
    loadAverage: loadavg()[0] ?? NaN,
    kernel: (uname.stdout ?? '').trim() || process.platform,
  };
}
