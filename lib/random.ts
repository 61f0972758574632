/**
 * Small seeded pseudo-random number generator shared by data generation, splitting and trainers.
 *
 * Algorithm: xoshiro128** (32-bit state words) seeded through splitmix32, so equal seeds give equal streams on
 * every platform and Node version (only 32-bit integer arithmetic via `Math.imul` and `>>>`). Not cryptographic.
 */

/** Integer-indexed arrays {@link shuffleInPlace} can shuffle. */
export type Shuffleable =
  | unknown[]
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [s, z >>> 0];
}

/** A deterministic stream of random numbers. Create one with {@link createRng}. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  /**
   * @param seed any safe integer (negative and > 2^32 values are folded in, both 32-bit halves count);
   *   non-integers are truncated.
   */
  constructor(seed: number) {
    const n = Math.trunc(seed);
    const lo = n >>> 0;
    const hi = Math.floor(n / 4294967296) >>> 0;
    let s = lo ^ Math.imul(hi, 0x27d4eb2f);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(s);
      s = next;
      words.push(out);
    }
    this.a = words[0] ?? 1;
    this.b = words[1] ?? 2;
    this.c = words[2] ?? 3;
    this.d = words[3] ?? 4;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, maxExclusive); `maxExclusive` must be a positive integer ≤ 2^32. */
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  /** Normal variate (Box-Muller; the second value of each pair is kept for the next call). */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + sd * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** True with probability `p`. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Creates a seeded generator; see {@link Rng}. */
export function createRng(seed: number): Rng {
  return new Rng(seed);
}

/** Fisher-Yates shuffle of `values` in place; returns the same array. */
export function shuffleInPlace<T extends Shuffleable>(values: T, rng: Rng): T {
  const arr = values as unknown as { [i: number]: unknown; length: number };
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
  return values;
}

/** A uniformly random permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return shuffleInPlace(out, rng);
}
