/**
 * The two spellings of a statistic probability:
 *  - kube-proxy writes 1/n with Go's `%0.10f` ("0.3333333333"),
 *  - iptables stores round(p * 2^31) and prints that fraction with C's `%.11f`
 *    ("0.33333333349").
 * Both are formatted exactly (BigInt), rounding half to even as Go and glibc do, so even the
 * rare exact ties (1/2048, k/4096) come out as the real programs print them.
 */

const TWO_31 = 2147483648;

/** Exact num/den with `digits` decimals, ties to even. */
function fixedHalfEven(num: bigint, den: bigint, digits: number): string {
  const scaled = num * 10n ** BigInt(digits);
  let q = scaled / den;
  const twiceRem = (scaled % den) * 2n;
  if (twiceRem > den || (twiceRem === den && q % 2n === 1n)) q += 1n;
  const s = q.toString().padStart(digits + 1, '0');
  return `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
}

/** A finite positive double as an exact fraction mantissa / 2^shift. */
function doubleAsFraction(x: number): { num: bigint; den: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const exponent = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (exponent === 0) {
    e = -1074;
  } else {
    mantissa |= 1n << 52n;
    e = exponent - 1075;
  }
  return e >= 0 ? { num: mantissa << BigInt(e), den: 1n } : { num: mantissa, den: 1n << BigInt(-e) };
}

const kubeProxyCache = new Map<number, string>();

/** kube-proxy's probability(n): fmt.Sprintf("%0.10f", 1.0/float64(n)). */
export function kubeProxyProbability(n: number): string {
  let s = kubeProxyCache.get(n);
  if (s === undefined) {
    const { num, den } = doubleAsFraction(1 / n);
    s = fixedHalfEven(num, den, 10);
    kubeProxyCache.set(n, s);
  }
  return s;
}

const iptablesCache = new Map<string, string>();

/** What iptables-save prints for `--probability text`: lround(p * 2^31) / 2^31 as %.11f. */
export function iptablesProbability(text: string): string {
  let s = iptablesCache.get(text);
  if (s === undefined) {
    const p = Number(text);
    if (!Number.isFinite(p) || p < 0 || p > 1) throw new Error(`bad probability: ${text}`);
    // p * 2^31 is exact in binary; Math.round equals C's lround for non-negative values.
    const stored = BigInt(Math.round(p * TWO_31));
    s = fixedHalfEven(stored, BigInt(TWO_31), 11);
    iptablesCache.set(text, s);
  }
  return s;
}
