/** Bytes -> dump text: UTF-8 (invalid bytes become U+FFFD; the parser reports binary data), no BOM. */
export function decodeDump(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The largest dump read: far above kube-proxy's 10k-service limit (~40 MB), and below V8's string
 * limit (2^29 - 24 UTF-16 units; decoding never yields more units than bytes). 512 MiB was 24 bytes
 * over it: a dump of that size failed in the decode with a RangeError instead of this message.
 */
export const MAX_DUMP_BYTES = 500 * 1024 * 1024;

export function tooBig(what: string, bytes: number): string {
  return `${what}: ${Math.round(bytes / 1024 / 1024)} MB is larger than the ${MAX_DUMP_BYTES / 1024 / 1024} MB kubechains reads`;
}
