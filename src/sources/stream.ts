/** A dump from a stream (standard input): all of it, as one buffer. */
import { decodeDump, MAX_DUMP_BYTES, tooBig } from './decode.js';
import { SourceError } from './types.js';

export async function readDumpStream(stream: NodeJS.ReadableStream, label: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buf.length;
      if (size > MAX_DUMP_BYTES) throw new SourceError(tooBig(label, size));
      chunks.push(buf);
    }
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw new SourceError(`${label}: cannot read: ${(e as Error).message}`);
  }
  return decodeDump(Buffer.concat(chunks, size));
}
