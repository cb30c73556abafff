/** A dump from a file: one stat, one read, one decode (a 40 MB dump is a single buffer). */
import { readFile, stat } from 'node:fs/promises';
import { decodeDump, MAX_DUMP_BYTES, tooBig } from './decode.js';
import { SourceError } from './types.js';

export async function readDumpFile(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw new SourceError(fsMessage(path, e));
  }
  if (info.isDirectory()) throw new SourceError(`${path}: is a directory; give a dump file (iptables-save -c > FILE)`);
  if (info.isFile() && info.size > MAX_DUMP_BYTES) throw new SourceError(tooBig(path, info.size));
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new SourceError(fsMessage(path, e));
  }
  if (bytes.length > MAX_DUMP_BYTES) throw new SourceError(tooBig(path, bytes.length));
  return decodeDump(bytes);
}

function fsMessage(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `${path}: no such file`;
    case 'EACCES':
    case 'EPERM':
      return `${path}: permission denied`;
    case 'EISDIR':
      return `${path}: is a directory; give a dump file (iptables-save -c > FILE)`;
    case 'ENOTDIR':
      return `${path}: a part of the path is not a directory`;
    default:
      return `${path}: cannot read: ${(e as Error | undefined)?.message ?? String(e)}`;
  }
}
