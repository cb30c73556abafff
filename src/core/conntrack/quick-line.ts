/**
 * The line nearly every entry of a big table is, read straight into numbers:
 *
 *   [ipv4 2 ]tcp 6 86399 ESTABLISHED src=A dst=B sport=P dport=Q [UNREPLIED] src=C dst=D sport=R dport=S [ASSURED] mark=0 use=1
 *
 * IPv4, TCP, UDP or SCTP, ports in both directions, each tuple's words one space apart. Any other
 * line (IPv6, ICMP, a trailer, odd spacing, a word the full reader would warn about) is refused and
 * read by the full reader (parse.ts). The contract: a line is accepted only when the full reader
 * reads it without a warning, and then to the same entry. quick-line.test.ts checks it on the
 * fixtures, on generated lines and on mutated ones; count.test.ts on whole tables.
 *
 * It reads the text's bytes (asciiBytes), not the string: in a reader this branchy, each
 * charCodeAt costs a check of the string's kind, and a 250k-entry table is 40 million of them.
 */
import { STATE_NAMES } from './names.js';

/** Where QuickLine.fields keeps each number of the line. */
export const ORIGINAL_SRC = 0;
export const ORIGINAL_DST = 1;
export const ORIGINAL_DPORT = 2;
export const REPLY_SRC = 3;
export const REPLY_DST = 4;
export const REPLY_SPORT = 5;
export const ORIGINAL_SPORT = 6;
export const REPLY_DPORT = 7;

const SPACE = 32;
const TAB = 9;
const EQUALS = 61;
const OPEN = 91;
const CLOSE = 93;

const bytesOf = (word: string) => Uint8Array.from(word, (c) => c.charCodeAt(0));
const FAMILY = bytesOf('ipv4 ');
const TCP = bytesOf('tcp ');
const UDP = bytesOf('udp ');
const SCTP = bytesOf('sctp ');
const FIRST_SRC = bytesOf('src=');
const SRC = bytesOf(' src=');
const DST = bytesOf(' dst=');
const SPORT = bytesOf(' sport=');
const DPORT = bytesOf(' dport=');
const UNREPLIED_BETWEEN = bytesOf(' [UNREPLIED]');
const ASSURED = bytesOf('[ASSURED]');
const UNREPLIED = bytesOf('[UNREPLIED]');
const MARK = bytesOf('mark');
const READ_KEYS = ['src', 'dst', 'sport', 'dport'].map(bytesOf);
const STATES = STATE_NAMES.map(bytesOf);

/**
 * The text as bytes, one per character, when it is all ASCII (then byte offsets are character
 * offsets); null otherwise, and the quick reader is not used.
 */
export function asciiBytes(text: string): Uint8Array | null {
  const bytes = new TextEncoder().encode(text);
  return bytes.length === text.length ? bytes : null;
}

/** The protocols of the lines read here, as QuickLine.protocol numbers them. */
export const QUICK_PROTOCOLS: readonly string[] = ['tcp', 'udp', 'sctp'];

/** What one accepted line says; rewritten by each read(). Names are given as indexes: no lookup by string per line. */
export class QuickLine {
  /** Index in QUICK_PROTOCOLS. */
  protocol = 0;
  /** The TCP/SCTP state as printed, as an index in STATE_NAMES; -1 when none is (UDP). */
  state = -1;
  /**
   * Addresses (their 32 bits as int32) and ports, at ORIGINAL_SRC … REPLY_DPORT: in a typed
   * array, a value past 2^30 is written as it is, where a field or a return value would box it.
   */
  readonly fields = new Int32Array(8);
  unreplied = false;
  assured = false;
  /** Seconds left as printed, and mark=; -1 when the line has none (15 digits at most: exact as doubles). */
  timeout = -1;
  mark = -1;
  /** The value of the last numberWord read. */
  private number = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Reads the line bytes[start, end) (no line break in it); false when it is not of the quick shape. */
  read(start: number, end: number): boolean {
    const b = this.bytes;
    let p = start;
    if (startsWith(b, p, end, FAMILY)) {
      p = this.numberWord(skipSpaces(b, p + FAMILY.length, end), end);
      if (p < 0) return false;
    }
    if (startsWith(b, p, end, TCP)) {
      this.protocol = 0;
      p += TCP.length;
    } else if (startsWith(b, p, end, UDP)) {
      this.protocol = 1;
      p += UDP.length;
    } else if (startsWith(b, p, end, SCTP)) {
      this.protocol = 2;
      p += SCTP.length;
    } else return false;
    p = this.numberWord(skipSpaces(b, p, end), end);
    if (p < 0) return false;
    this.timeout = -1;
    if (p < end && isDigit(b[p]!)) {
      p = this.numberWord(p, end);
      if (p < 0) return false;
      this.timeout = this.number;
    }
    this.state = -1;
    if (p < end && b[p]! >= 65 && b[p]! <= 90) {
      let q = p + 1;
      while (q < end && isUpperChar(b[q]!)) q++;
      const state = stateAt(b, p, q);
      if (state < 0 || q >= end || b[q] !== SPACE) return false;
      this.state = state;
      p = skipSpaces(b, q, end);
    }
    if (!startsWith(b, p, end, FIRST_SRC)) return false;
    p = this.tuple(p + FIRST_SRC.length, end, ORIGINAL_SRC, ORIGINAL_DST, ORIGINAL_SPORT, ORIGINAL_DPORT);
    if (p < 0) return false;
    this.unreplied = startsWith(b, p, end, UNREPLIED_BETWEEN);
    if (this.unreplied) p += UNREPLIED_BETWEEN.length;
    if (!startsWith(b, p, end, SRC)) return false;
    p = this.tuple(p + SRC.length, end, REPLY_SRC, REPLY_DST, REPLY_SPORT, REPLY_DPORT);
    if (p < 0) return false;
    this.assured = false;
    this.mark = -1;
    return this.rest(p, end);
  }

  /**
   * 1 to 15 digits ending at a space or the line's end, read into this.number: where the next
   * word starts, or -1. The full reader takes such words as numbers (family and protocol
   * numbers, timeout, mark).
   */
  private numberWord(p: number, end: number): number {
    const b = this.bytes;
    const start = p;
    let value = 0;
    while (p < end && isDigit(b[p]!)) value = value * 10 + (b[p++]! - 48);
    if (p === start || p - start > 15) return -1;
    this.number = value;
    if (p === end) return p;
    return b[p] === SPACE ? skipSpaces(b, p, end) : -1;
  }

  /** `A dst=B sport=P dport=Q` from just after its src= into the given fields: where it ends, or -1. */
  private tuple(p: number, end: number, src: number, dst: number, sport: number, dport: number): number {
    const { bytes: b, fields: f } = this;
    p = address(b, p, end, f, src);
    if (p < 0 || !startsWith(b, p, end, DST)) return -1;
    p = address(b, p + DST.length, end, f, dst);
    if (p < 0 || !startsWith(b, p, end, SPORT)) return -1;
    p = port(b, p + SPORT.length, end, f, sport);
    if (p < 0 || !startsWith(b, p, end, DPORT)) return -1;
    return port(b, p + DPORT.length, end, f, dport);
  }

  /**
   * The words after the reply tuple: [FLAG]s, mark=N and other key=value words the full reader
   * skips. A src/dst/sport/dport there (the full reader warns or overwrites) refuses the line.
   */
  private rest(p: number, end: number): boolean {
    const b = this.bytes;
    while (p < end) {
      const c = b[p]!;
      if (c === SPACE) {
        p++;
        continue;
      }
      if (c === OPEN) {
        let q = p + 1;
        while (q < end && isUpperChar(b[q]!)) q++;
        if (q === p + 1 || q >= end || b[q] !== CLOSE) return false;
        q++;
        if (q < end && b[q] !== SPACE) return false;
        if (q - p === ASSURED.length && startsWith(b, p, end, ASSURED)) this.assured = true;
        else if (q - p === UNREPLIED.length && startsWith(b, p, end, UNREPLIED)) this.unreplied = true;
        p = q;
        continue;
      }
      let eq = p;
      while (eq < end) {
        const k = b[eq]!;
        if (k === EQUALS || k === SPACE) break;
        if (k === TAB) return false;
        eq++;
      }
      if (eq === p || eq === end || b[eq] !== EQUALS) return false;
      if (isReadKey(b, p, eq - p)) return false;
      if (eq - p === MARK.length && startsWith(b, p, eq, MARK)) {
        p = eq + 1 < end ? this.numberWord(eq + 1, end) : -1;
        if (p < 0) return false;
        this.mark = this.number;
        continue;
      }
      p = eq + 1;
      while (p < end) {
        const k = b[p]!;
        if (k === SPACE) break;
        if (k === TAB) return false;
        p++;
      }
    }
    return true;
  }
}

/** src, dst, sport, dport: keys the full reader reads (and would take again after the tuples). */
function isReadKey(b: Uint8Array, p: number, length: number): boolean {
  for (const key of READ_KEYS) if (key.length === length && startsWith(b, p, p + length, key)) return true;
  return false;
}

/** Whether bytes[p, …) starts with `word` within the line. */
function startsWith(b: Uint8Array, p: number, end: number, word: Uint8Array): boolean {
  if (p + word.length > end) return false;
  for (let i = 0; i < word.length; i++) if (b[p + i] !== word[i]) return false;
  return true;
}

/** A port (1 to 5 digits, at most 65535) ending at a space or the line's end, into fields[at]: where it ends, or -1. */
function port(b: Uint8Array, p: number, end: number, fields: Int32Array, at: number): number {
  const start = p;
  let value = 0;
  while (p < end) {
    const c = b[p]!;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
    p++;
  }
  if (p === start || p - start > 5 || value > 65535 || (p < end && b[p] !== SPACE)) return -1;
  fields[at] = value;
  return p;
}

/**
 * A dotted quad ending at a space, into fields[at]: where it ends, or -1. Leading zeros are
 * refused: the full reader rewrites them, and that is its business.
 */
function address(b: Uint8Array, p: number, end: number, fields: Int32Array, at: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (; p < end; p++) {
    const c = b[p]!;
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      dots++;
      value = (value << 8) | octet;
      octet = 0;
      digits = 0;
    } else break;
  }
  if (dots !== 3 || digits === 0 || p >= end || b[p] !== SPACE) return -1;
  fields[at] = (value << 8) | octet;
  return p;
}

/** Which of STATE_NAMES bytes[start, end) is, or -1. */
function stateAt(b: Uint8Array, start: number, end: number): number {
  for (let i = 0; i < STATES.length; i++) if (STATES[i]!.length === end - start && startsWith(b, start, end, STATES[i]!)) return i;
  return -1;
}

function skipSpaces(b: Uint8Array, p: number, end: number): number {
  while (p < end && b[p] === SPACE) p++;
  return p;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A-Z, 0-9, _: what states and flags are written with. */
function isUpperChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}
