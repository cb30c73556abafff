/**
 * Names found by the characters of a span of the input, without making a string: the parser's
 * fast path looks up the chain and the target of every rule (hundreds of thousands), and a Map
 * lookup needs a sliced string, its hash, and a compare against another slice of the input.
 * Open addressing over FNV-1a hashes of the characters; each name maps to a number.
 */
export class NameIndex {
  /** Entry + 1 per slot, 0 for empty. */
  private slots = new Int32Array(256);
  private readonly names: string[] = [];
  private readonly values: number[] = [];
  private hashes = new Int32Array(128);

  /** Maps `name` to `value` (a name added again takes the new value). */
  set(name: string, value: number): void {
    const h = hashOf(name, 0, name.length);
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = this.slots[i]!;
      if (e === 0) break;
      if (this.names[e - 1] === name) {
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
    if ((entry + 1) * 2 > this.slots.length) this.grow();
    else this.place(entry);
  }

  /** The value of the name s[start, end), -1 when there is none. */
  find(s: string, start: number, end: number): number {
    const h = hashOf(s, start, end);
    const mask = this.slots.length - 1;
    const length = end - start;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = this.slots[i]!;
      if (e === 0) return -1;
      const name = this.names[e - 1]!;
      if (this.hashes[e - 1] === h && name.length === length && s.startsWith(name, start)) return this.values[e - 1]!;
    }
  }

  private place(entry: number): void {
    const mask = this.slots.length - 1;
    let i = this.hashes[entry]! & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = entry + 1;
  }

  /** Four times the slots, entries placed again by their stored hashes (no string is read). */
  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 4);
    for (let e = 0; e < this.names.length; e++) this.place(e);
  }
}

function hashOf(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
