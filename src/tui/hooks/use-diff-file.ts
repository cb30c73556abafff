/**
 * `:diff FILE` reads FILE once per `:diff` (through the same source machinery as the CLI), in
 * the background: the screen shows "reading" until it is there, and why when it cannot be used.
 * Kept by run and path, so leaving for a service and coming back does not read it again.
 */
import { useEffect, useState } from 'react';
import { dumpDiagnostics, type Dump } from '../../core/index.js';
import { loadSnapshot, SourceError } from '../../sources/index.js';

export type DiffFile =
  | { readonly state: 'reading' }
  | { readonly state: 'error'; readonly message: string }
  | { readonly state: 'ready'; readonly dump: Dump };

/** The few files of this session's `:diff`s (one per run: a new `:diff` is a new run). */
const loaded = new Map<string, Promise<DiffFile>>();
const LOADED_MAX = 4;

export function useDiffFile(path: string, run: number): DiffFile {
  const key = `${run}\0${path}`;
  const [file, setFile] = useState<{ key: string; file: DiffFile }>({ key, file: { state: 'reading' } });
  useEffect(() => {
    let live = true;
    void readOnce(key, path).then((f) => {
      if (live) setFile({ key, file: f });
    });
    return () => {
      live = false;
    };
  }, [key]);
  return file.key === key ? file.file : { state: 'reading' };
}

function readOnce(key: string, path: string): Promise<DiffFile> {
  let promise = loaded.get(key);
  if (!promise) {
    promise = readDiffFile(path);
    loaded.set(key, promise);
    while (loaded.size > LOADED_MAX) loaded.delete(loaded.keys().next().value!);
  }
  return promise;
}

/** The file's dump, or the one line that says why not (FILE:LINE:COL for a parse error, as the CLI says it). */
export async function readDiffFile(path: string): Promise<DiffFile> {
  try {
    const snapshot = await loadSnapshot({ kind: 'file', path });
    const dump: Dump = { ruleset: snapshot.ruleset, nft: snapshot.nft ?? null };
    const error = dumpDiagnostics(dump).find((d) => d.severity === 'error');
    if (error) return { state: 'error', message: `${path}:${error.line}:${error.column}: error: ${error.message}` };
    return { state: 'ready', dump };
  } catch (e) {
    return { state: 'error', message: e instanceof SourceError ? e.message : `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}` };
  }
}
