/** Two dumps compared: services by id (any mode against any mode), chains rule by rule within one mode. */
import { buildDumpModel, type Dump } from '../dump.js';
import type { KubeModel } from '../kube/types.js';
import { diffChains, ServiceRules } from './chains.js';
import { diffServices } from './services.js';
import type { DumpDiff } from './types.js';

export type * from './types.js';
export { COMPARED_SERVICE_FIELDS, parseServiceDiffId, serviceDiffId } from './services.js';
export { chainChangeLines, diffValueText, serviceChangeLines } from './text.js';

/** `models`: the dumps' models when the caller has them already (the explorer does), else built here. */
export function diffDumps(a: Dump, b: Dump, models: { readonly a?: KubeModel; readonly b?: KubeModel } = {}): DumpDiff {
  const before = models.a ?? buildDumpModel(a);
  const after = models.b ?? buildDumpModel(b);
  const { chains, notes } = diffChains(a, b, new ServiceRules([before, after]));
  return { services: diffServices(before, after), chains, notes };
}

export function isEmptyDiff(diff: DumpDiff): boolean {
  const { services: s, chains: c } = diff;
  return s.added.length + s.removed.length + s.changed.length + c.added.length + c.removed.length + c.changed.length === 0;
}
