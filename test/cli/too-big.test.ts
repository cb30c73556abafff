/**
 * The 500 MB limit on a dump (sources/decode.ts): a larger file is refused from its size alone,
 * before a byte is read, and standard input as soon as more than the limit has come in. Nothing
 * large is written or held: the file is sparse (its size is set, no data blocks), the stream hands
 * out the same 1 MiB buffer again and again. The limit must keep a decoded dump within V8's
 * string limit (it was 512 MiB, 24 bytes over: such a dump failed with a RangeError).
 */
import { mkdtempSync, openSync, closeSync, ftruncateSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { constants } from 'node:buffer';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../src/sources/index.js';
import { MAX_DUMP_BYTES } from '../../src/sources/decode.js';
import { SourceError } from '../../src/sources/types.js';
import { run } from './harness.js';

const MiB = 1024 * 1024;
const tmp = mkdtempSync(path.join(tmpdir(), 'kc-too-big-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A sparse file of `bytes` bytes: its size says so, the disk holds none of it. */
function sparse(name: string, bytes: number): string {
  const file = path.join(tmp, name);
  const fd = openSync(file, 'w');
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  expect(statSync(file).size).toBe(bytes);
  return file;
}

/** `count` chunks of the same 1 MiB buffer, and how many were taken. */
function stream(count: number): { readable: Readable; taken: () => number } {
  const chunk = Buffer.alloc(MiB, 0x41);
  let n = 0;
  const readable = Readable.from(
    (function* () {
      for (; n < count; ) {
        n++;
        yield chunk;
      }
    })(),
  );
  return { readable, taken: () => n };
}

describe('the 500 MB limit', () => {
  it('is 500 MiB, which a decoded dump fits in as a string', () => {
    expect(MAX_DUMP_BYTES).toBe(500 * MiB);
    // UTF-8 decodes to at most one UTF-16 unit per byte.
    expect(MAX_DUMP_BYTES).toBeLessThanOrEqual(constants.MAX_STRING_LENGTH);
  });

  it('refuses a larger file from its size, with its size and the limit', async () => {
    const file = sparse('huge.save', MAX_DUMP_BYTES + MiB);
    const e = await loadSnapshot({ kind: 'file', path: file }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SourceError);
    expect((e as Error).message).toBe(`${file}: 501 MB is larger than the 500 MB kubechains reads`);
  });

  it('a file one byte over is refused too (the check is on bytes, not rounded megabytes)', async () => {
    const file = sparse('one-over.save', MAX_DUMP_BYTES + 1);
    await expect(loadSnapshot({ kind: 'file', path: file })).rejects.toThrow(`${file}: 500 MB is larger than the 500 MB kubechains reads`);
  });

  it('the CLI says the same and exits 2', async () => {
    const file = sparse('huge-cli.save', MAX_DUMP_BYTES + 3 * MiB);
    const r = await run(['services', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${file}: 503 MB is larger than the 500 MB kubechains reads`);
  });

  it('stops reading standard input as soon as it is past the limit', async () => {
    const s = stream(600);
    const e = await loadSnapshot({ kind: 'stdin' }, { stdin: s.readable }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SourceError);
    expect((e as Error).message).toBe('<stdin>: 501 MB is larger than the 500 MB kubechains reads');
    // The 501st chunk crossed the limit; none after it was asked for.
    expect(s.taken()).toBe(501);
  });
});
