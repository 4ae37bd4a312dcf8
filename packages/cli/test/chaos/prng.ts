/**
 * A small seeded PRNG (mulberry32): the same seed gives the same rounds, so a
 * failing round is replayed by running again with its seed.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A seed for a sub-generator (one per round). */
  fork(): Prng {
    return new Prng(Math.floor(this.next() * 2 ** 32));
  }
}

/** A fresh seed when none is given (printed, so the run can be replayed). */
export const randomSeed = () => Math.floor(Math.random() * 2 ** 31);
