/**
 * Tests of the packed JSON of the score widget's model (src/report/packed.ts): a model-shaped
 * value with awkward numbers comes back equal, bit for bit, and through zlib (as the loader
 * writes it) too.
 */
import assert from "node:assert/strict";
import { unzlibSync, zlibSync } from "fflate";
import { packJson, unpackJson } from "../../src/report/packed.ts";
import { createRng } from "../../src/model/random.ts";

/** Deep equality that tells -0 from 0 (Object.is on every number). */
function same(a: unknown, b: unknown, path = "$"): void {
  if (typeof a === "number" || typeof b === "number") {
    assert.ok(Object.is(a, b), `${path}: ${a} vs ${b}`);
  } else if (Array.isArray(a)) {
    assert.ok(Array.isArray(b) && a.length === b.length, `${path}: array lengths`);
    a.forEach((x, i) => same(x, (b as unknown[])[i], `${path}[${i}]`));
  } else if (a !== null && typeof a === "object") {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b as object).sort(), path);
    for (const k of Object.keys(a)) {
      same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    }
  } else assert.equal(a, b, path);
}

Deno.test("packJson / unpackJson: a model-shaped value comes back bit for bit", () => {
  const r = createRng(5);
  const n = 3000;
  const model = {
    kind: "rfm-loyalty-knn",
    version: 1,
    features: ["recency_days", "frequency", "monetary"],
    scaler: { means: [1.5, 2, 3], stds: [0.1, 0.2, 0.3], log: [true, true, false] },
    knn: {
      k: 15,
      points: Array.from({ length: n }, () => [r.next() * 1e-300, -r.next() * 7, 1 / 3]),
      labels: Array.from({ length: n }, () => r.int(3)),
      weights: Array.from({ length: n }, (_, i) => (i % 2 ? -0 : 0)),
      counts: Array.from({ length: n }, () => r.int(100000) - 50000),
    },
    customerIds: Array.from({ length: n }, (_, i) => String(i).padStart(5, "0")),
    names: Array.from({ length: 80 }, (_, i) => (i % 5 ? `“${i}” − é` : "")),
    withNul: Array.from({ length: 70 }, (_, i) => (i === 3 ? "a\u0000b" : "x")),
    mixed: Array.from({ length: 70 }, (_, i) => (i % 2 ? 1 : "one")),
    nested: { empty: [], small: [1, 2, 3], nulls: [null, true, false] },
  };
  const parsed = JSON.parse(JSON.stringify(model)); // what the browser would get from the JSON
  const packed = packJson(parsed);
  same(unpackJson(packed), parsed);
  same(unpackJson(unzlibSync(zlibSync(packed, { level: 9 }))), parsed);
  // smaller than the JSON text
  assert.ok(packed.length < JSON.stringify(parsed).length / 2, `${packed.length} bytes`);
  // and deterministic
  assert.deepEqual(packJson(parsed), packed);
  assert.throws(() => unpackJson(new TextEncoder().encode("{}")), /not a packed/);
});
