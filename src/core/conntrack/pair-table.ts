/**
 * A hash table from a pair of 32-bit integers (an IPv4 address and a port, say) to a
 * non-negative integer, in one typed array of (first, second, value) triples. Counting 250k
 * conntrack entries costs a few lookups each: a Map keyed by strings or nested Maps chases
 * pointers into scattered memory at every step, a probe here reads one cache line and allocates
 * nothing.
 */
export class PairTable {
  /** [first, second, value] per slot; value -1 marks an empty slot. */
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(expected = 16) {
    let size = 16;
    while (size < expected * 2) size *= 2;
    this.slots = emptySlots(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The value stored for (first, second), or -1. */
  get(first: number, second: number): number {
    const { slots, mask } = this;
    first |= 0;
    second |= 0;
    for (let i = slotOf(first, second, mask); ; i = (i + 1) & mask) {
      const at = i * 3;
      const value = slots[at + 2]!;
      if (value < 0 || (slots[at] === first && slots[at + 1] === second)) return value;
    }
  }

  /** Stores `value` (>= 0) for (first, second), replacing any value stored before. */
  set(first: number, second: number, value: number): void {
    if (value < 0) throw new RangeError(`PairTable values are non-negative, got ${value}`);
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const { slots, mask } = this;
    first |= 0;
    second |= 0;
    let at = slotOf(first, second, mask) * 3;
    while (slots[at + 2]! >= 0 && !(slots[at] === first && slots[at + 1] === second)) at = (at + 3) % slots.length;
    if (slots[at + 2]! < 0) this.count++;
    slots[at] = first;
    slots[at + 1] = second;
    slots[at + 2] = value;
  }

  /** Rewrites every stored value as `f` says (once the values a table was built with are final). */
  mapValues(f: (value: number) => number): void {
    const slots = this.slots;
    for (let at = 2; at < slots.length; at += 3) if (slots[at]! >= 0) slots[at] = f(slots[at]!);
  }

  private grow(): void {
    const old = this.slots;
    const size = (this.mask + 1) * 2;
    this.slots = emptySlots(size);
    this.mask = size - 1;
    this.count = 0;
    for (let at = 0; at < old.length; at += 3) if (old[at + 2]! >= 0) this.set(old[at]!, old[at + 1]!, old[at + 2]!);
  }
}

function emptySlots(size: number): Int32Array {
  const slots = new Int32Array(size * 3);
  for (let at = 2; at < slots.length; at += 3) slots[at] = -1;
  return slots;
}

/** Mixes both halves so that addresses in one /16 and ports in one range still spread over the table. */
function slotOf(first: number, second: number, mask: number): number {
  let h = Math.imul(first ^ Math.imul(second, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & mask;
}
