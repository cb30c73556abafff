/** A ReadonlyMap built on first use. */
export class LazyMap<K, V> implements ReadonlyMap<K, V> {
  private map: Map<K, V> | null = null;
  constructor(private readonly build: () => Map<K, V>) {}
  private get m(): Map<K, V> {
    return (this.map ??= this.build());
  }
  get size(): number {
    return this.m.size;
  }
  get(key: K): V | undefined {
    return this.m.get(key);
  }
  has(key: K): boolean {
    return this.m.has(key);
  }
  forEach(cb: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    this.m.forEach((v, k) => cb.call(thisArg, v, k, this));
  }
  entries(): MapIterator<[K, V]> {
    return this.m.entries();
  }
  keys(): MapIterator<K> {
    return this.m.keys();
  }
  values(): MapIterator<V> {
    return this.m.values();
  }
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.m[Symbol.iterator]();
  }
}
