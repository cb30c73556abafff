/**
 * Values as nft writes them, turned into libnftables-json values: numbers for integers
 * (ports, marks in hex), strings for addresses and symbolic constants, {"prefix"} and {"range"}.
 */
import type { NftExpr, NftFamily } from '../types.js';
import { NFT_FAMILIES } from '../types.js';

const DIGITS = /^[0-9]+$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const IPV4 = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6 = /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/;

export function isFamily(word: string): word is NftFamily {
  return (NFT_FAMILIES as readonly string[]).includes(word);
}

function isNumberWord(w: string): boolean {
  return DIGITS.test(w) || HEX.test(w);
}

function isAddressWord(w: string): boolean {
  return IPV4.test(w) || (w.includes(':') && IPV6.test(w));
}

function number(w: string): number {
  return w.startsWith('0x') || w.startsWith('0X') ? parseInt(w.slice(2), 16) : Number(w);
}

/**
 * One value word: `80` → 80, `0x00004000` → 16384, `10.0.0.0/8` → prefix, `1000-2000` → range,
 * `10.0.0.1-10.0.0.9` → range, `@name` and symbols (`tcp`, `local`, `new`) → strings.
 * `asString` keeps the word whole (interface names such as `eth-0` or `123`).
 */
export function scalar(word: string, asString = false): NftExpr {
  if (asString) return word;
  const c = word.charCodeAt(0);
  if (c === 64 /* @ */) return word;
  // symbols (`tcp`, `local`, `new`) start with a letter other than the hex digits a-f and hold no '/' or '-'
  if (c >= 103 && c <= 122 && word.indexOf('-') < 0 && word.indexOf('/') < 0) return word;
  if (isNumberWord(word)) return number(word);
  const slash = word.indexOf('/');
  if (slash > 0) {
    const len = word.slice(slash + 1);
    const addr = word.slice(0, slash);
    if (DIGITS.test(len) && isAddressWord(addr)) return { prefix: { addr, len: Number(len) } };
    return word;
  }
  const dash = word.indexOf('-');
  if (dash > 0) {
    const a = word.slice(0, dash);
    const b = word.slice(dash + 1);
    if (isNumberWord(a) && isNumberWord(b)) return { range: [number(a), number(b)] };
    if (isAddressWord(a) && isAddressWord(b)) return { range: [a, b] };
  }
  return word;
}

const DURATION_PART = /([0-9]+)(ms|d|h|m|s)/y;
const UNIT_SECONDS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };

/** `3h` → 10800, `2h59m59s776ms` → 10799.776, `10800s` → 10800, a bare number is seconds; null when not a duration. */
export function parseDuration(word: string): number | null {
  if (DIGITS.test(word)) return Number(word);
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let pos = 0;
  while (pos < word.length) {
    DURATION_PART.lastIndex = pos;
    const m = DURATION_PART.exec(word);
    if (!m) return null;
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
    pos = DURATION_PART.lastIndex;
  }
  if (pos === 0) return null;
  return Math.round(total * 1000) / 1000;
}

/** Standard priority names per family (nft(8), "PRIORITY"): what `dstnat - 10` means. */
const PRIORITY_NAMES: Record<string, Record<string, number>> = {
  inet: { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 },
  bridge: { dstnat: -300, filter: -200, out: 100, srcnat: 300 },
  netdev: { filter: 0 },
  arp: { filter: 0 },
};

/** The number a priority name stands for in a family, null when the name is not one of them. */
export function priorityName(family: NftFamily, name: string): number | null {
  const table = PRIORITY_NAMES[family === 'ip' || family === 'ip6' ? 'inet' : family];
  const value = table?.[name];
  return value === undefined ? null : value;
}

/** Whether a word is a signed decimal integer (`-110`). */
export function isSignedInteger(word: string): boolean {
  return /^-?[0-9]+$/.test(word);
}
