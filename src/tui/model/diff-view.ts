/**
 * `:diff FILE` as rows: services first (added, removed, changed), then chains, each with the
 * lines its detail pane shows. The file is "before" and the snapshot on screen "now", so an
 * added service is one the screen has (Enter opens it) and a removed one only the file has.
 */
import { buildDumpModel, chainChangeLines, diffDumps, parseServiceDiffId, serviceChangeLines, type ChainRef as DiffChainRef, type Dump, type DumpDiff, type KubeModel } from '../../core/index.js';
import type { Family, TableName } from '../../core/parse/index.js';
import type { ExplorerData } from './explorer-data.js';

export type DiffMark = '+' | '-' | '~';

export interface DiffRow {
  readonly key: string;
  readonly mark: DiffMark;
  readonly what: 'service' | 'chain';
  /** The service id, or "TABLE CHAIN". */
  readonly label: string;
  /** One line per difference: "nodePort: 30783 -> 31000", "+ endpoint 10.0.0.1:80", "+ -A …". */
  readonly details: readonly string[];
  /** Where Enter goes on screen (it may not exist there: a removed one). */
  readonly service?: { readonly family: Family; readonly id: string };
  readonly chain?: { readonly family: Family; readonly table: TableName; readonly chain: string };
}

export interface DiffView {
  readonly diff: DumpDiff;
  readonly rows: readonly DiffRow[];
}

const views = new WeakMap<ExplorerData, WeakMap<Dump, DiffView>>();
/** The file's model, built once: a live source's refreshes diff each new snapshot against the same file. */
const fileModels = new WeakMap<Dump, KubeModel>();

/** The file's dump against the data's; once per (snapshot, file) pair. */
export function diffView(data: ExplorerData, file: Dump): DiffView {
  let byFile = views.get(data);
  if (!byFile) views.set(data, (byFile = new WeakMap()));
  let view = byFile.get(file);
  if (!view) {
    let model = fileModels.get(file);
    if (!model) fileModels.set(file, (model = buildDumpModel(file)));
    const diff = diffDumps(file, data.dump, { a: model, b: data.model });
    view = { diff, rows: diffRows(diff) };
    byFile.set(file, view);
  }
  return view;
}

export function diffRows(diff: DumpDiff): DiffRow[] {
  const rows: DiffRow[] = [];
  const service = (mark: DiffMark, diffId: string, details: readonly string[]) =>
    rows.push({ key: `svc\0${diffId}`, mark, what: 'service', label: diffId, details, service: parseServiceDiffId(diffId) });
  for (const id of diff.services.added) service('+', id, ['only on screen (not in the file)']);
  for (const id of diff.services.removed) service('-', id, ['only in the file (not on screen)']);
  for (const c of diff.services.changed) {
    service('~', c.id, serviceChangeLines(c));
  }
  const chain = (mark: DiffMark, ref: DiffChainRef, details: readonly string[]) =>
    rows.push({ key: `chain\0${ref.family}\0${ref.table}\0${ref.chain}`, mark, what: 'chain', label: chainLabel(ref), details, chain: { family: ref.family, table: ref.table as TableName, chain: ref.chain } });
  for (const ref of diff.chains.added) chain('+', ref, ['only on screen (not in the file)']);
  for (const ref of diff.chains.removed) chain('-', ref, ['only in the file (not on screen)']);
  for (const c of diff.chains.changed) {
    chain('~', c, chainChangeLines(c));
  }
  return rows;
}

function chainLabel(ref: DiffChainRef): string {
  return `${ref.table} ${ref.chain}${ref.family === 'ipv6' ? ' (v6)' : ''}`;
}
