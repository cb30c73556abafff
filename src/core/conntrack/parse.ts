/**
 * `conntrack -L` (plain and `-o extended`) and /proc/net/nf_conntrack, read in one pass.
 *
 *   tcp      6 431999 ESTABLISHED src=A dst=B sport=P dport=Q [UNREPLIED] src=C dst=D sport=R dport=S [ASSURED] mark=0 use=1
 *   ipv4     2 tcp      6 117 TIME_WAIT src=… (extended form and /proc: the family first)
 *
 * The first src/dst/sport/dport group is the original direction, the second the reply. Anything
 * else (zone=, use=, secctx=, delta-time=, labels=, ICMP's type/code/id, GRE's keys) is
 * tolerated and skipped. A table can hold 250k entries: fields are found with indexOf and
 * character codes, no regular expression and no word array per line.
 */
import { escapeForTerminal } from '../escape.js';
import type { Diagnostic } from '../parse/types.js';
import { finishSteps, type Steps } from '../steps.js';
import { canonicalIpv4, canonicalIpv6, scanIpv4 } from './address.js';
import { PROTOCOL_NAMES, STATE_NAMES } from './names.js';
import {
  asciiBytes,
  ORIGINAL_DPORT,
  ORIGINAL_DST,
  ORIGINAL_SPORT,
  ORIGINAL_SRC,
  QUICK_PROTOCOLS,
  QuickLine,
  REPLY_DPORT,
  REPLY_DST,
  REPLY_SPORT,
  REPLY_SRC,
} from './quick-line.js';
import type { ConntrackEntry, ConntrackTable, Tuple } from './types.js';

const TRAILER_PREFIX = 'conntrack v';
const TRAILER_SHOWN = ' flow entries have been shown.';
/** Words before the first key=value: [family l3num] proto protonum [timeout] [STATE]. */
const MAX_HEADER_WORDS = 6;

export function parseConntrack(text: string, file: string): ConntrackTable {
  return finishSteps(parseConntrackSteps(text, file, Infinity));
}

/** parseConntrack pausing after every `slice` lines (the explorer reads keys in between). */
export function* parseConntrackSteps(text: string, file: string, slice: number): Steps<ConntrackTable> {
  const entries: ConntrackEntry[] = [];
  // The common line is read by QuickLine (see count.ts), its addresses written once per value.
  const bytes = asciiBytes(text);
  const quick = bytes && new QuickLine(bytes);
  const dotted = new Map<number, string>();
  const parser = new TableParser(
    text,
    file,
    (e) => entries.push(copyEntry(e)),
    quick
      ? (start, end, line) => {
          if (!quick.read(start, end)) return false;
          entries.push(quickEntry(quick, line, dotted));
          return true;
        }
      : undefined,
  );
  yield* parser.steps(slice);
  return { entries, warnings: parser.warnings, reportedCount: parser.reportedCount };
}

/** What scanConntrack says besides the entries. */
export interface ConntrackScan {
  readonly warnings: Diagnostic[];
  readonly reportedCount: number | null;
}

/**
 * A caller's own reading of the common line, tried before the full one: true when it took the
 * line text[start, end) (numbered `line`), false to have it read in full. It must take only lines
 * the full reader reads without a warning (see quick-line.ts).
 */
export type QuickReader = (start: number, end: number, line: number) => boolean;

/**
 * Every entry of the table in order, as parseConntrack reads it, handed to `onEntry` in ONE object
 * rewritten for each line: a caller that only counts (countConnections) makes no object per entry.
 * Copy what you keep. Lines `quick` takes are not handed to onEntry.
 */
export function scanConntrack(text: string, file: string, onEntry: (entry: ConntrackEntry) => void, quick?: QuickReader): ConntrackScan {
  const parser = new TableParser(text, file, onEntry, quick);
  parser.run();
  return { warnings: parser.warnings, reportedCount: parser.reportedCount };
}

/** The entry of a line QuickLine took: what the full reader makes of it. */
function quickEntry(q: QuickLine, line: number, dotted: Map<number, string>): ConntrackEntry {
  const f = q.fields;
  const address = (value: number) => {
    let text = dotted.get(value);
    if (text === undefined) dotted.set(value, (text = `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`));
    return text;
  };
  return {
    family: 'ipv4',
    protocol: QUICK_PROTOCOLS[q.protocol]!,
    state: q.state < 0 ? null : STATE_NAMES[q.state]!,
    original: { src: address(f[ORIGINAL_SRC]!), dst: address(f[ORIGINAL_DST]!), sport: f[ORIGINAL_SPORT]!, dport: f[ORIGINAL_DPORT]! },
    reply: { src: address(f[REPLY_SRC]!), dst: address(f[REPLY_DST]!), sport: f[REPLY_SPORT]!, dport: f[REPLY_DPORT]! },
    unreplied: q.unreplied,
    assured: q.assured,
    timeout: q.timeout < 0 ? null : q.timeout,
    mark: q.mark < 0 ? null : q.mark,
    line,
  };
}

function copyEntry(e: ConntrackEntry): ConntrackEntry {
  const { original: o, reply: r } = e;
  return {
    family: e.family,
    protocol: e.protocol,
    state: e.state,
    original: { src: o.src, dst: o.dst, sport: o.sport, dport: o.dport },
    reply: { src: r.src, dst: r.dst, sport: r.sport, dport: r.dport },
    unreplied: e.unreplied,
    assured: e.assured,
    timeout: e.timeout,
    mark: e.mark,
    line: e.line,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** The one entry scanConntrack rewrites per line. */
type ScratchEntry = Mutable<Omit<ConntrackEntry, 'original' | 'reply'>> & { original: Mutable<Tuple>; reply: Mutable<Tuple> };

class TableParser {
  readonly warnings: Diagnostic[] = [];
  reportedCount: number | null = null;
  /** Addresses repeat (cluster IPs, endpoints, nodes): one string each, by value (IPv4) or text (IPv6, canonicalised once). */
  private readonly ipv4 = new Map<number, string>();
  private readonly ipv6 = new Map<string, string | null>();
  /** Where the header words of the current line start and end (reused: no arrays per line). */
  private readonly headStarts = new Int32Array(MAX_HEADER_WORDS);
  private readonly headEnds = new Int32Array(MAX_HEADER_WORDS);
  private readonly hasTabs: boolean;
  /** The current line's header, as readHeader read it (one object for all lines). */
  private readonly head: { family: 'ipv4' | 'ipv6' | null; protocol: string; state: string | null; timeout: number | null } = { family: null, protocol: '', state: null, timeout: null };
  private line = 0;
  private lineStart = 0;
  private nextSpace = -1;
  private nextEquals = -1;
  /** Whether the last address() read was IPv6. */
  private addressWasV6 = false;
  private readonly scratch: ScratchEntry = {
    family: 'ipv4',
    protocol: '',
    state: null,
    original: { src: '', dst: '', sport: null, dport: null },
    reply: { src: '', dst: '', sport: null, dport: null },
    unreplied: false,
    assured: false,
    timeout: null,
    mark: null,
    line: 0,
  };

  constructor(
    private readonly text: string,
    readonly file: string,
    private readonly onEntry: (entry: ConntrackEntry) => void,
    private readonly quick: QuickReader | undefined,
  ) {
    this.hasTabs = text.includes('\t');
  }

  run(): void {
    finishSteps(this.steps(Infinity));
  }

  /** The lines in order, pausing after every `slice` of them. */
  *steps(slice: number): Steps<void> {
    const text = this.text;
    let pos = 0;
    let sincePause = 0;
    while (pos < text.length) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = text.length;
      this.line++;
      this.lineStart = pos;
      let lineEnd = end;
      if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
      if (!this.quick?.(pos, lineEnd, this.line)) this.parseLine(pos, lineEnd);
      pos = end + 1;
      if (++sincePause === slice) {
        sincePause = 0;
        yield;
      }
    }
  }

  /**
   * Where the word at p ends: indexOf finds the next space natively, unless the text has tabs.
   * The space found is kept until passed, so a text with few spaces is still scanned once, not
   * once per line.
   */
  private wordEnd(p: number, end: number): number {
    if (this.hasTabs) return wordEndAt(this.text, p, end);
    if (this.nextSpace < p) {
      const space = this.text.indexOf(' ', p);
      this.nextSpace = space < 0 ? this.text.length : space;
    }
    return this.nextSpace > end ? end : this.nextSpace;
  }

  /** The first '=' in [p, end), or -1; kept until passed, as wordEnd's space. */
  private equalsIn(p: number, end: number): number {
    if (this.nextEquals < p) {
      const eq = this.text.indexOf('=', p);
      this.nextEquals = eq < 0 ? this.text.length : eq;
    }
    return this.nextEquals < end ? this.nextEquals : -1;
  }

  private warn(at: number, message: string): void {
    this.warnings.push({ severity: 'warning', message, line: this.line, column: at - this.lineStart + 1 });
  }

  /** A word of the input quoted in a message: escaped and cut short. */
  private quote(start: number, end: number): string {
    const word = this.text.slice(start, Math.min(end, start + 60));
    return `"${escapeForTerminal(word)}${end - start > 60 ? '…' : ''}"`;
  }

  private parseLine(start: number, end: number): void {
    const text = this.text;
    const first = skipBlanks(text, start, end);
    if (first >= end) return;
    if (text.startsWith(TRAILER_PREFIX, first)) {
      this.readTrailer(first, end);
      return;
    }
    // Header words, up to the first key=value or [FLAG].
    const { headStarts, headEnds } = this;
    let headCount = 0;
    let p = first;
    while (p < end) {
      const wordEnd = this.wordEnd(p, end);
      if (text.charCodeAt(p) === 91 /* [ */ || this.equalsIn(p, wordEnd) >= 0) break;
      if (headCount === MAX_HEADER_WORDS) {
        this.warn(p, `unexpected word ${this.quote(p, wordEnd)} before the first src=`);
        return;
      }
      headStarts[headCount] = p;
      headEnds[headCount++] = wordEnd;
      p = skipBlanks(text, wordEnd, end);
    }
    if (!this.readHeader(headCount, first)) return;
    const head = this.head;

    // The original tuple, then the reply's: a second src= starts it.
    let src0: string | null = null;
    let dst0: string | null = null;
    let sport0: number | null = null;
    let dport0: number | null = null;
    let src1: string | null = null;
    let dst1: string | null = null;
    let sport1: number | null = null;
    let dport1: number | null = null;
    let reply = false;
    /** Which of src0, dst0, src1, dst1 (bits 1, 2, 4, 8) are IPv6, as address() said: no string searched again. */
    let v6Slots = 0;
    let unreplied = false;
    let assured = false;
    let mark: number | null = null;
    while (p < end) {
      const wordEnd = this.wordEnd(p, end);
      const c = text.charCodeAt(p);
      if (c === 91 /* [ */) {
        if (text.charCodeAt(wordEnd - 1) !== 93 || !isUpperWord(text, p + 1, wordEnd - 1)) {
          this.warn(p, `bad flag ${this.quote(p, wordEnd)}`);
          return;
        }
        if (wordEnd - p === 11 && text.startsWith('UNREPLIED]', p + 1)) unreplied = true;
        else if (wordEnd - p === 9 && text.startsWith('ASSURED]', p + 1)) assured = true;
        // [OFFLOAD], [HW_OFFLOAD] and any other flag: tolerated.
      } else {
        const eq = this.equalsIn(p, wordEnd);
        if (eq < 0 || eq === p) {
          this.warn(p, `expected key=value, found ${this.quote(p, wordEnd)}`);
          return;
        }
        const keyLength = eq - p;
        const v = eq + 1;
        if (keyLength === 3 && (text.startsWith('src', p) || text.startsWith('dst', p))) {
          const isSrc = c === 115; /* s */
          if (isSrc && (reply ? src1 : src0) !== null) {
            if (reply) {
              this.warn(p, 'a third src= on one line');
              return;
            }
            reply = true;
          }
          const address = this.address(v, wordEnd);
          if (address === null) {
            this.warn(v, `bad address ${this.quote(v, wordEnd)}`);
            return;
          }
          if (reply) {
            if (isSrc) src1 = address;
            else dst1 = address;
          } else if (isSrc) src0 = address;
          else dst0 = address;
          const slot = reply ? (isSrc ? 4 : 8) : isSrc ? 1 : 2;
          v6Slots = this.addressWasV6 ? v6Slots | slot : v6Slots & ~slot;
        } else if (keyLength === 5 && (text.startsWith('sport', p) || text.startsWith('dport', p))) {
          const port = readNumber(text, v, wordEnd);
          if (port === null || port > 65535) {
            this.warn(v, `bad port ${this.quote(v, wordEnd)}`);
            return;
          }
          if (c === 115) {
            if (reply) sport1 = port;
            else sport0 = port;
          } else if (reply) dport1 = port;
          else dport0 = port;
        } else if (keyLength === 4 && text.startsWith('mark', p)) {
          mark = readNumber(text, v, wordEnd);
          if (mark === null) {
            this.warn(v, `bad mark ${this.quote(v, wordEnd)}`);
            return;
          }
        }
        // zone=, use=, secctx=, delta-time=, labels=, id=, type=, code=, …: tolerated.
      }
      p = skipBlanks(text, wordEnd, end);
    }
    if (src0 === null || dst0 === null || src1 === null || dst1 === null) {
      this.warn(first, 'an entry needs src= and dst= in both directions');
      return;
    }
    const v6 = v6Slots === 15;
    if ((v6Slots !== 0 && !v6) || (head.family !== null && (head.family === 'ipv6') !== v6)) {
      this.warn(first, 'addresses of different families in one entry');
      return;
    }
    const e = this.scratch;
    e.family = v6 ? 'ipv6' : 'ipv4';
    e.protocol = head.protocol;
    e.state = head.state;
    e.original.src = src0;
    e.original.dst = dst0;
    e.original.sport = sport0;
    e.original.dport = dport0;
    e.reply.src = src1;
    e.reply.dst = dst1;
    e.reply.sport = sport1;
    e.reply.dport = dport1;
    e.unreplied = unreplied;
    e.assured = assured;
    e.timeout = head.timeout;
    e.mark = mark;
    e.line = this.line;
    this.onEntry(e);
  }

  /** Reads the header words into `head`; false (with a warning) when they are not a conntrack header. */
  private readHeader(count: number, first: number): boolean {
    const text = this.text;
    const starts = this.headStarts;
    const ends = this.headEnds;
    let i = 0;
    let family: 'ipv4' | 'ipv6' | null = null;
    if (count > 0 && ends[0]! - starts[0]! === 4 && (text.startsWith('ipv4', starts[0]!) || text.startsWith('ipv6', starts[0]!))) {
      family = text.charCodeAt(starts[0]! + 3) === 52 ? 'ipv4' : 'ipv6';
      if (count < 2 || readNumber(text, starts[1]!, ends[1]!) === null) {
        this.warn(count < 2 ? starts[0]! : starts[1]!, 'expected the family number after the family');
        return false;
      }
      i = 2;
    }
    if (i >= count) {
      this.warn(i > 0 ? starts[i - 1]! : first, 'expected a protocol name and number');
      return false;
    }
    const protocolAt = starts[i]!;
    if (!isProtocolName(text, protocolAt, ends[i]!)) {
      this.warn(protocolAt, `bad protocol ${this.quote(protocolAt, ends[i]!)}`);
      return false;
    }
    const protocol = known(text, protocolAt, ends[i]!, PROTOCOL_NAMES);
    i++;
    if (i >= count || readNumber(text, starts[i]!, ends[i]!) === null) {
      this.warn(i >= count ? protocolAt : starts[i]!, 'expected the protocol number after the protocol');
      return false;
    }
    i++;
    let timeout: number | null = null;
    if (i < count && isDigit(text.charCodeAt(starts[i]!))) {
      timeout = readNumber(text, starts[i]!, ends[i]!);
      if (timeout === null) {
        this.warn(starts[i]!, `bad timeout ${this.quote(starts[i]!, ends[i]!)}`);
        return false;
      }
      i++;
    }
    let state: string | null = null;
    if (i < count) {
      if (!isUpperWord(text, starts[i]!, ends[i]!)) {
        this.warn(starts[i]!, `bad state ${this.quote(starts[i]!, ends[i]!)}`);
        return false;
      }
      state = known(text, starts[i]!, ends[i]!, STATE_NAMES);
      i++;
    }
    if (i < count) {
      this.warn(starts[i]!, `unexpected word ${this.quote(starts[i]!, ends[i]!)} before the first src=`);
      return false;
    }
    const head = this.head;
    head.family = family;
    head.protocol = protocol;
    head.state = state;
    head.timeout = timeout;
    return true;
  }

  /** `conntrack v1.4.7 (conntrack-tools): 4 flow entries have been shown.`; other conntrack messages are warnings. */
  private readTrailer(start: number, end: number): void {
    const text = this.text;
    // Searched within the line only: a text of many such lines is still read once.
    const colon = text.slice(start, end).indexOf('): ');
    if (colon > 0 && text.startsWith(TRAILER_SHOWN, end - TRAILER_SHOWN.length)) {
      const count = readNumber(text, start + colon + 3, end - TRAILER_SHOWN.length);
      if (count !== null) {
        this.reportedCount = (this.reportedCount ?? 0) + count;
        return;
      }
    }
    this.warn(start, `conntrack said: ${this.quote(start, end)}`);
  }

  /** IPv4 is checked where it stands, IPv6 canonicalised; either way one string per distinct address. */
  private address(start: number, end: number): string | null {
    const text = this.text;
    const v4 = scanIpv4(text, start, end);
    this.addressWasV6 = false;
    if (v4 >= 0) {
      // As an int32 the key is a small integer, not a heap number to allocate and hash.
      const key = v4 | 0;
      let shared = this.ipv4.get(key);
      if (shared === undefined) this.ipv4.set(key, (shared = text.slice(start, end)));
      return shared;
    }
    const raw = text.slice(start, end);
    if (!raw.includes(':')) return canonicalIpv4(raw);
    this.addressWasV6 = true;
    let known = this.ipv6.get(raw);
    if (known === undefined) {
      known = canonicalIpv6(raw);
      this.ipv6.set(raw, known);
    }
    return known;
  }
}


/** text[start, end) as one of `names` when it is one (no new string), else sliced. */
function known(text: string, start: number, end: number, names: readonly string[]): string {
  const length = end - start;
  for (const name of names) if (name.length === length && text.startsWith(name, start)) return name;
  return text.slice(start, end);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A decimal number of at most 15 digits filling [start, end), or null. */
function readNumber(text: string, start: number, end: number): number | null {
  if (end <= start || end - start > 15) return null;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) return null;
    value = value * 10 + (c - 48);
  }
  return value;
}

function skipBlanks(text: string, p: number, end: number): number {
  while (p < end) {
    const c = text.charCodeAt(p);
    if (c !== 32 && c !== 9) break;
    p++;
  }
  return p;
}

function wordEndAt(text: string, p: number, end: number): number {
  while (p < end) {
    const c = text.charCodeAt(p);
    if (c === 32 || c === 9) break;
    p++;
  }
  return p;
}

/** STATE and FLAG words: A-Z, 0-9, _ (conntrack prints nothing else there). */
function isUpperWord(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || isDigit(c) || c === 95)) return false;
  }
  return true;
}

/** Protocol names: a-z, 0-9, '-', '_' ("tcp", "icmpv6", "udplite", "unknown"). */
function isProtocolName(text: string, start: number, end: number): boolean {
  if (end <= start || end - start > 16) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || isDigit(c) || c === 45 || c === 95)) return false;
  }
  return true;
}
