/**
 * A map from names to numbers whose lookups take a span of a text instead of a string: the
 * parser's fast path looks up the chain and the target of every rule in place, where a Map would
 * need a sliced string, its hash, and a compare against another slice of the input.
 * Open addressing over FNV-1a hashes of the characters. A slot holds the entry, its hash and its
 * value side by side, so a lookup reads one slot, and reads the name only when the hash matches.
 * (Distinct from the TUI's search index of names, src/tui/model/search.ts.)
 */
const STRIDE = 3;

export class SpanNameMap {
  /** Per slot: entry + 1 (0: empty), the entry's hash, its value. */
  private slots = new Int32Array(256 * STRIDE);
  private slotCount = 256;
  private readonly names: string[] = [];
  /** Per entry: its hash and value again, to place it when the slots grow. */
  private readonly values: number[] = [];
  private hashes = new Int32Array(128);

  /** Maps `name` to `value` (a name added again takes the new value). */
  set(name: string, value: number): void {
    const h = hashOf(name, 0, name.length);
    const slots = this.slots;
    const mask = this.slotCount - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = i * STRIDE;
      const e = slots[at]!;
      if (e === 0) break;
      if (slots[at + 1] === h && this.names[e - 1] === name) {
        slots[at + 2] = value;
        this.values[e - 1] = value;
        return;
      }
    }
    const entry = this.names.length;
    this.names.push(name);
    this.values.push(value);
    if (entry === this.hashes.length) {
      const hashes = new Int32Array(entry * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.hashes[entry] = h;
    if ((entry + 1) * 2 > this.slotCount) this.grow();
    else this.place(entry);
  }

  /** The value of the name s[start, end), -1 when there is none. */
  find(s: string, start: number, end: number): number {
    const h = hashOf(s, start, end);
    const slots = this.slots;
    const mask = this.slotCount - 1;
    const length = end - start;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = i * STRIDE;
      const e = slots[at]!;
      if (e === 0) return -1;
      if (slots[at + 1] !== h) continue;
      const name = this.names[e - 1]!;
      if (name.length === length && s.startsWith(name, start)) return slots[at + 2]!;
    }
  }

  private place(entry: number): void {
    const slots = this.slots;
    const mask = this.slotCount - 1;
    const h = this.hashes[entry]!;
    let i = h & mask;
    while (slots[i * STRIDE] !== 0) i = (i + 1) & mask;
    const at = i * STRIDE;
    slots[at] = entry + 1;
    slots[at + 1] = h;
    slots[at + 2] = this.values[entry]!;
  }

  /**
   * Twice the slots, entries placed again by their stored hashes (no string is read). Twofold,
   * not more: a slot is three numbers, and a dump of very many chains would leave many empty.
   */
  private grow(): void {
    this.slotCount *= 2;
    this.slots = new Int32Array(this.slotCount * STRIDE);
    for (let e = 0; e < this.names.length; e++) this.place(e);
  }
}

function hashOf(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
