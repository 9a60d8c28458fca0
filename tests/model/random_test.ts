import assert from "node:assert/strict";
import { createRng, deriveSeed, normal, sampleIndices, shuffle } from "../../src/model/random.ts";

Deno.test("createRng: same seed gives the same stream, different seeds differ", () => {
  const a = createRng(42);
  const b = createRng(42);
  const c = createRng(43);
  const sa = Array.from({ length: 20 }, () => a.next());
  const sb = Array.from({ length: 20 }, () => b.next());
  const sc = Array.from({ length: 20 }, () => c.next());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  for (const x of sa) assert.ok(x >= 0 && x < 1);
});

Deno.test("createRng: known first outputs (the stream must never change silently)", () => {
  const r = createRng(20261124);
  const first = [r.uint32(), r.uint32(), r.uint32()];
  const again = createRng(20261124);
  assert.deepEqual([again.uint32(), again.uint32(), again.uint32()], first);
  // Pinned values: a change in the generator changes every seeded result downstream.
  assert.deepEqual(first, PINNED);
});

const PINNED = [2771089712, 4033558653, 1341032110];

Deno.test("createRng: int(n) covers 0..n-1 roughly uniformly", () => {
  const r = createRng(7);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[r.int(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 400, `count ${c}`);
  assert.throws(() => r.int(0), RangeError);
  assert.throws(() => createRng(NaN), RangeError);
});

Deno.test("deriveSeed: known values (the seeds of every model stage must never change)", () => {
  // Pinned before deriveSeed moved onto lib/hash's fnv1a32: the same bits, seed by seed.
  assert.deepEqual(
    [
      deriveSeed(0),
      deriveSeed(1, "kmeans", 3, 0),
      deriveSeed(20261124, "loyalty"),
      deriveSeed(20261124, "segmentation"),
      deriveSeed(99, "ü€", "x"),
      deriveSeed(4294967295, "cv"),
      deriveSeed(-5, "split", 2),
    ],
    [3304242954, 753859760, 776500529, 2172557078, 1033881025, 2853942261, 239429506],
  );
  // the seed is reduced to an unsigned 32-bit integer first
  assert.equal(deriveSeed(2 ** 32 + 1, "x"), deriveSeed(1, "x"));
  assert.equal(deriveSeed(1.9, "x"), deriveSeed(1, "x"));
});

Deno.test("deriveSeed: label-sensitive, unsigned 32-bit", () => {
  assert.notEqual(deriveSeed(1, "kmeans", 3, 0), deriveSeed(1, "kmeans", 3, 1));
  assert.notEqual(deriveSeed(1, "kmeans", 3, 0), deriveSeed(2, "kmeans", 3, 0));
  assert.notEqual(deriveSeed(1, "ab", "c"), deriveSeed(1, "a", "bc"));
  const s = deriveSeed(123, "x");
  assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
});

Deno.test("shuffle: a permutation, deterministic, input untouched", () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const s1 = shuffle(items, createRng(5));
  const s2 = shuffle(items, createRng(5));
  assert.deepEqual(s1, s2);
  assert.notDeepEqual(s1, items);
  assert.deepEqual([...s1].sort((a, b) => a - b), items);
  assert.deepEqual(items, Array.from({ length: 50 }, (_, i) => i));
});

Deno.test("sampleIndices: distinct, sorted, in range, clamped", () => {
  const s = sampleIndices(100, 30, createRng(9));
  assert.equal(s.length, 30);
  assert.equal(new Set(s).size, 30);
  assert.deepEqual(s, [...s].sort((a, b) => a - b));
  for (const i of s) assert.ok(i >= 0 && i < 100);
  assert.deepEqual(sampleIndices(5, 10, createRng(1)), [0, 1, 2, 3, 4]);
  assert.deepEqual(sampleIndices(100, 30, createRng(9)), s);
});

Deno.test("normal: mean about 0 and variance about 1", () => {
  const r = createRng(11);
  const xs = Array.from({ length: 20000 }, () => normal(r));
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
  assert.ok(Math.abs(m) < 0.03, `mean ${m}`);
  assert.ok(Math.abs(v - 1) < 0.05, `variance ${v}`);
});

Deno.test("no Math.random in the model modules", async () => {
  const files: string[] = [];
  for (const dir of ["model", "score"]) {
    const folder = new URL(`../../src/${dir}/`, import.meta.url);
    for await (const e of Deno.readDir(folder)) {
      if (e.isFile && e.name.endsWith(".ts")) files.push(`${dir}/${e.name}`);
    }
  }
  assert.ok(files.length >= 8, `found only ${files.join(", ")}`);
  for (const f of files) {
    const text = await Deno.readTextFile(new URL(`../../src/${f}`, import.meta.url));
    assert.ok(!/Math\.random\s*\(/.test(text), `${f} uses Math.random`);
    assert.ok(!/Date\.now\s*\(/.test(text), `${f} uses Date.now`);
  }
});
