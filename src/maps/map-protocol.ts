// The parts of JavaScript's Map protocol that follow from entries() alone,
// shared by U64Map and StrMap so that both keep the same iteration
// guarantees and `Map`-compatible shapes without two copies of the code.

/**
 * The base of {@link U64Map} and {@link StrMap}: `keys`, `values`,
 * `[Symbol.iterator]`, `forEach` and `[Symbol.dispose]` as a JavaScript `Map`
 * has them, all derived from the map's own `entries()` and `close()`.
 *
 * @typeParam K - the key type iteration yields.
 */
export abstract class OffHeapMap<K> implements Iterable<[K, number]> {
  /** Entries in table order; see the subclass for its guarantees. */
  abstract entries(): IterableIterator<[K, number]>;

  /** Frees the native memory now; see the subclass. */
  abstract close(): void;

  /**
   * Keys in table order, with the same guarantees as `entries()`.
   *
   * @example
   * ```ts
   * const keys = [...m.keys()];
   * ```
   */
  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  /**
   * Values in table order, with the same guarantees as `entries()`.
   *
   * @example
   * ```ts
   * let total = 0;
   * for (const v of m.values()) total += v;
   * ```
   */
  *values(): IterableIterator<number> {
    for (const [, v] of this.entries()) yield v;
  }

  /**
   * Same as `entries()`, so a map works in `for...of` and spreads.
   *
   * @example
   * ```ts
   * const copy = new Map(m);
   * ```
   */
  [Symbol.iterator](): IterableIterator<[K, number]> {
    return this.entries();
  }

  /**
   * Calls callback(value, key, map) for each entry, as `Map#forEach` does.
   *
   * @example
   * ```ts
   * m.forEach((value, key) => console.log(key, value));
   * ```
   */
  forEach(callback: (value: number, key: K, map: this) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
  }

  /**
   * Same as `close()`, for `using` declarations.
   *
   * @example
   * ```ts
   * {
   *   using m = new U64Map();
   *   m.set(1, 2);
   * } // closed here
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}
