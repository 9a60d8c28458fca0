/**
 * Seeded pseudo-random numbers for every random choice of the model stage.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state,
 * period ≥ 2^32), seeded through splitmix32 so that nearby seeds give unrelated streams. Nothing
 * in `src/` uses `Math.random`: every function that needs randomness takes an {@link Rng} or a
 * seed, so the same seed always gives the same result on every platform.
 *
 * @module
 */

import { fnv1a32 } from "../lib/hash.ts";

/** A seeded random number generator. */
export interface Rng {
  /** The next float, uniform in [0, 1) with 32 bits of resolution. */
  next(): number;
  /** The next integer, uniform in [0, n) (`n` a positive integer below 2^32). */
  int(n: number): number;
  /** The next unsigned 32-bit integer. */
  uint32(): number;
}

/** splitmix32 step: mixes a 32-bit state into a well-distributed 32-bit output. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z = (z ^ (z >>> 16)) >>> 0;
  return [s, z];
}

/**
 * Creates a seeded sfc32 generator.
 *
 * @example
 * ```ts
 * import { createRng } from "./random.ts";
 * import { deepEqual, ok } from "node:assert/strict";
 * const a = createRng(42), b = createRng(42);
 * deepEqual([a.uint32(), a.uint32()], [b.uint32(), b.uint32()]); // same seed, same stream
 * const x = a.next();
 * ok(x >= 0 && x < 1);
 * ok(a.int(6) < 6);
 * ```
 *
 * @param seed any finite number; it is reduced to an unsigned 32-bit integer
 *   (`seed >>> 0` of its integer part), so seeds should be integers in [0, 2^32)
 * @returns a generator whose stream depends only on `seed`
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  let s = Math.trunc(seed) >>> 0;
  let a: number, b: number, c: number, d: number;
  [s, a] = splitmix32(s);
  [s, b] = splitmix32(s);
  [s, c] = splitmix32(s);
  [s, d] = splitmix32(s);
  const uint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs (standard sfc32 warm-up).
  for (let i = 0; i < 12; i++) uint32();
  return {
    uint32,
    next: () => uint32() / 4294967296,
    int: (n: number) => {
      if (!(n >= 1) || !Number.isInteger(n)) throw new RangeError(`n must be a positive integer`);
      return Math.floor((uint32() / 4294967296) * n);
    },
  };
}

/**
 * Derives an independent seed from a master seed and a list of labels (FNV-1a over the
 * labels' text, then mixed with the seed). Use it to give every random step its own stream,
 * e.g. `deriveSeed(config.seed, "kmeans", k, restart)`.
 *
 * @example
 * ```ts
 * import { deriveSeed } from "./random.ts";
 * import { equal, notEqual } from "node:assert/strict";
 * equal(deriveSeed(20261124, "loyalty"), 776500529); // pinned: every seeded result depends on it
 * notEqual(deriveSeed(1, "kmeans", 3, 0), deriveSeed(1, "kmeans", 3, 1));
 * notEqual(deriveSeed(1, "ab", "c"), deriveSeed(1, "a", "bc")); // labels are separated
 * ```
 *
 * @param seed master seed (reduced to an unsigned 32-bit integer)
 * @param parts labels that identify the step
 * @returns an unsigned 32-bit integer seed
 */
export function deriveSeed(seed: number, ...parts: (string | number)[]): number {
  // XOR and Math.imul read int32 bits, so the unsigned hash mixes exactly like a signed one.
  const h = fnv1a32(parts.map((p) => String(p)).join("\u0000"));
  const [, z1] = splitmix32((Math.trunc(seed) >>> 0) ^ h);
  const [, z2] = splitmix32(z1 ^ Math.imul(h, 0x9e3779b1));
  return z2 >>> 0;
}

/**
 * Returns a shuffled copy of an array (Fisher–Yates).
 *
 * @example
 * ```ts
 * import { createRng, shuffle } from "./random.ts";
 * import { deepEqual } from "node:assert/strict";
 * const items = [1, 2, 3, 4, 5];
 * const s = shuffle(items, createRng(5));
 * deepEqual([...s].sort(), items); // a permutation
 * deepEqual(shuffle(items, createRng(5)), s); // deterministic for a seed
 * deepEqual(items, [1, 2, 3, 4, 5]); // input untouched
 * ```
 *
 * @param items items to shuffle (not modified)
 * @param rng generator
 * @returns a new array with the same items in random order
 */
export function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/**
 * Draws `m` distinct indices from 0..n-1 (a partial Fisher–Yates shuffle).
 *
 * @example
 * ```ts
 * import { createRng, sampleIndices } from "./random.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const s = sampleIndices(100, 3, createRng(9));
 * equal(new Set(s).size, 3);
 * deepEqual(s, [...s].sort((a, b) => a - b));
 * deepEqual(sampleIndices(3, 10, createRng(1)), [0, 1, 2]); // clamped to n
 * ```
 *
 * @param n population size
 * @param m sample size (clamped to `n`)
 * @param rng generator
 * @returns the sampled indices, sorted ascending
 */
export function sampleIndices(n: number, m: number, rng: Rng): number[] {
  const size = Math.max(0, Math.min(n, Math.floor(m)));
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < size; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return Array.from(idx.subarray(0, size)).sort((a, b) => a - b);
}

/**
 * Draws a standard normal variate (Box–Muller; uses two uniforms per call).
 *
 * @example
 * ```ts
 * import { createRng, normal } from "./random.ts";
 * import { ok } from "node:assert/strict";
 * const rng = createRng(11);
 * const xs = Array.from({ length: 2000 }, () => normal(rng));
 * ok(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length) < 0.1); // mean near 0
 * ```
 *
 * @param rng generator
 * @returns a sample from N(0, 1)
 */
export function normal(rng: Rng): number {
  let u = rng.next();
  while (u === 0) u = rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
