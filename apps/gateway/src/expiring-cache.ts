/**
 * Answers remembered for a while, and never too many of them: the gateway remembers whose a token is for a minute, and
 * anyone may send it made-up tokens, so what it remembers must be bounded in time and in count alike.
 */
export class ExpiringCache<Value> {
  readonly #entries = new Map<string, { value: Value; until: number }>();

  constructor(
    readonly limit: number,
    readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value remembered for `key`, wrapped so that a remembered `undefined` (a refused token) is still an answer. */
  get(key: string): { value: Value } | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until > this.now()) return { value: entry.value };
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, value: Value): void {
    const now = this.now();
    this.#entries.delete(key);
    // Every entry lives as long and a set puts its key last, so the Map's order is expiry order, the oldest first:
    // dropping from the front drops the expired entries, then the oldest while there is no room.
    for (const [oldest, entry] of this.#entries) {
      if (entry.until > now && this.#entries.size < this.limit) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, until: now + this.lifetimeMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}
