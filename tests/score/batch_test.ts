/**
 * Batch scoring is a shortcut that must never change a result: the candidate search of
 * `NeighbourIndex` (boundary ties, growth of its space), its transient results, the locality
 * order, `predictScaledMany`, `scoreMany` and `explainMany` against the one-by-one paths, on
 * fixtures full of ties (integer grids, duplicated customers, collapsed counts).
 */
import assert from "node:assert/strict";
import { bruteMass } from "./brute.ts";
import { fitKnn, indexFor, NeighbourIndex, sortPairs } from "../../src/score/neighbours.ts";
import {
  DEFAULT_LIMITS,
  DistinctPoints,
  type LoyaltyModel,
  makeScoreScale,
  predictScaled,
  predictScaledMany,
  scaledValues,
  scoreCustomer,
  scoreMany,
} from "../../src/score/score.ts";
import { createScoreExplainer, explainMany, explainScore } from "../../src/score/reasons.ts";
import { createRng } from "../../src/model/random.ts";

Deno.test("the search keeps the canonical prefix when thousands of points tie at the boundary", () => {
  const rng = createRng(5);
  // 3000 points on a 3 × 3 grid, not collapsed: every distance is shared by hundreds of points,
  // so the candidates fill their space at one distance (the space must grow) and the prefix is
  // decided by point index alone.
  const points = Array.from({ length: 3000 }, () => [rng.int(3), rng.int(3)]);
  for (const unit of [true, false]) {
    const mass = points.map(() => (unit ? 1 : 1 + rng.int(3)));
    const w = [1, 2];
    const index = new NeighbourIndex(points, { weights: w, mass });
    for (const q of [[0, 0], [1, 1], [2.5, 0], [1, 0.5], [-3, 7]]) {
      for (const k of [1, 5, 64, 65, 66, 200, 333.5, 1000, 2999, 10000]) {
        const want = bruteMass(points, mass, w, q, k);
        assert.deepEqual(index.nearest(q, k), want, `unit=${unit} q=${q} k=${k}`);
        const t = index.nearestTransient(q, k, want.slice(0, 3).map((f) => f.index));
        assert.deepEqual(
          Array.from({ length: t.length }, (_, i) => ({
            index: t.index[i],
            distance: t.distance[i],
            take: t.take[i],
          })),
          want,
          `transient, hinted: unit=${unit} q=${q} k=${k}`,
        );
      }
    }
  }
});

Deno.test("the search ranks tiny (subnormal) and huge squared distances exactly", () => {
  // squared distances near 1e-320 make the bucket scale (candidates / limit) overflow; near
  // 1e300 the squares overflow to Infinity
  for (const unit of [1e-160, 1e-155, 1e150]) {
    const points = Array.from({ length: 300 }, (_, i) => [(i % 37) * unit, (i % 5) * unit]);
    const mass = points.map((_, i) => 1 + (i % 3));
    const index = new NeighbourIndex(points, { mass });
    for (const q of [[0, 0], [3 * unit, unit], [40 * unit, 0]]) {
      for (const k of [1, 5, 70, 400]) {
        assert.deepEqual(
          index.nearest(q, k),
          bruteMass(points, mass, [1, 1], q, k),
          `${unit} ${q} ${k}`,
        );
      }
    }
  }
});

Deno.test("a transient result is the search's own until the next search", () => {
  const index = new NeighbourIndex([[0], [1], [1], [3]]);
  const a = index.nearestTransient([1], 2);
  assert.deepEqual([Array.from(a.index), Array.from(a.distance)], [[1, 2], [0, 0]]);
  assert.deepEqual(index.nearestArrays([1], 2), {
    length: 2,
    index: Int32Array.of(1, 2),
    distance: Float64Array.of(0, 0),
    take: Float64Array.of(1, 1),
  });
});

Deno.test("sortPairs orders by key then index, whatever the input order", () => {
  const rng = createRng(9);
  for (const n of [0, 1, 2, 17, 18, 500]) {
    const pairs = Array.from({ length: n }, (_, i) => ({ key: rng.int(5) / 4, idx: i }));
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
    }
    const key = Float64Array.from(pairs, (p) => p.key);
    const idx = Int32Array.from(pairs, (p) => p.idx);
    sortPairs(key, idx, 0, n);
    const want = [...pairs].sort((a, b) => a.key - b.key || a.idx - b.idx);
    assert.deepEqual([Array.from(key), Array.from(idx)], [
      want.map((p) => p.key),
      want.map((p) => p.idx),
    ]);
  }
});

Deno.test("localityOrder is a permutation that groups near queries", () => {
  const index = new NeighbourIndex(Array.from({ length: 500 }, (_, i) => [i % 50, i % 7]));
  const rng = createRng(3);
  const queries = Array.from({ length: 300 }, () => [rng.int(60) - 5, rng.int(9) - 1]);
  const order = Array.from(index.localityOrder(queries));
  assert.deepEqual([...order].sort((a, b) => a - b), queries.map((_, i) => i));
  // consecutive queries are nearer on average than in the given order
  const gap = (ids: number[]) =>
    ids.slice(1).reduce((s, id, i) => s + Math.abs(queries[id][0] - queries[ids[i]][0]), 0);
  assert.ok(gap(order) < gap(queries.map((_, i) => i)) / 3);
  assert.throws(() => index.localityOrder([[1]]), /query 0 has 1 values, expected 2/);
});

/** A model on an integer grid of two features with collapsed counts: ties everywhere. */
function tieModel(k: number, weighting: "uniform" | "distance", seed: number): LoyaltyModel {
  const rng = createRng(seed);
  const rows = Array.from({ length: 900 }, () => [rng.int(12) * 10, 1 + rng.int(6)]);
  const labels = rows.map(([r, f]) => (r > 60 ? 0 : f >= 4 ? 2 : rng.int(3)));
  // collapse duplicates into points with class counts, as the fitted model does
  const byKey = new Map<string, number>();
  const points: number[][] = [];
  const counts: number[][] = [];
  rows.forEach((r, i) => {
    const key = r.join(",");
    let p = byKey.get(key);
    if (p === undefined) {
      p = points.length;
      byKey.set(key, p);
      points.push(r);
      counts.push([0, 0, 0]);
    }
    counts[p][labels[i]]++;
  });
  return {
    kind: "rfm-loyalty-knn",
    version: 1,
    features: ["recency_days", "frequency"],
    scaler: {
      names: ["recency_days", "frequency"],
      log: [false, true],
      means: [50, 1],
      stds: [30, 0.5],
    },
    knn: fitKnn(
      points.map(([r, f]) => [(r - 50) / 30, (Math.log1p(f) - 1) / 0.5]),
      counts.map((c) => c.indexOf(Math.max(...c))),
      { k, weighting, nClasses: 3, counts, featureWeights: [2, 1], offset: 0.5 },
    ),
    customerIds: points.map((_, i) => `C${i}`),
    levels: ["lapsed", "occasional", "loyal"],
    cutoff: "2011-06-01",
    windowEnd: "2011-12-01",
    score: makeScoreScale(),
    limits: DEFAULT_LIMITS,
  };
}

/** Customers: many duplicates, grid values (ties), values between the grid and invalid ones. */
function tieInputs(seed: number): Record<string, unknown>[] {
  const rng = createRng(seed);
  return Array.from({ length: 400 }, (_, i) => {
    if (i % 50 === 7) return { recency_days: -1, frequency: 2 }; // invalid
    if (i % 3 === 0) return { recency_days: 30, frequency: 1 }; // the one-purchase crowd
    return {
      recency_days: rng.int(13) * 10 + (rng.int(4) === 0 ? 5 : 0),
      frequency: 1 + rng.int(7),
    };
  });
}

for (
  const [k, weighting] of [[1, "uniform"], [25, "uniform"], [120, "uniform"], [
    40,
    "distance",
  ]] as const
) {
  Deno.test(`batch scoring equals one-by-one scoring (k = ${k}, ${weighting}, ties)`, () => {
    const model = tieModel(k, weighting, 11 + k);
    const inputs = tieInputs(k);
    // each customer alone, with a fresh model (no shared index or memo)
    const alone = inputs.map((x) => scoreCustomer(structuredClone(model), x));
    assert.deepEqual(scoreMany(model, inputs), alone);
    const explained = explainMany(model, inputs);
    assert.deepEqual(explained.map((e) => e.result), alone);
    // the counterfactuals by chained tree searches or by prepared passes: the same
    assert.deepEqual(explainMany(model, inputs, {}, "tree"), explained);
    assert.deepEqual(explainMany(model, inputs, {}, "pass"), explained);
    assert.deepEqual(
      explained.map((e) => e.reasons),
      inputs.map((x) => explainScore(structuredClone(model), x)),
    );
    assert.deepEqual(explained, inputs.map(createScoreExplainer(model)));
    // the batch predictions at the distinct points, against each point searched alone
    const zs = [
      ...new Set(
        inputs.filter((x) => (x.recency_days as number) >= 0).map((x) =>
          JSON.stringify(scaledValues(model, [x.recency_days as number, x.frequency as number]))
        ),
      ),
    ].map((s) => JSON.parse(s) as number[]);
    assert.ok(zs.length > 30);
    assert.deepEqual(predictScaledMany(model, zs), zs.map((z) => predictScaled(model, z)));
    // the fixture is tie-heavy: customers whose k-th customer is one of several at its distance
    if (k > 1) assert.ok(alone.some((r) => r.ok && r.neighbours.length > 1));
  });
}

Deno.test("explainMany with an own score function explains one by one, as createScoreExplainer", () => {
  const model = tieModel(25, "uniform", 2);
  const inputs = tieInputs(2).slice(0, 60);
  const score = (v: readonly number[]) => 300 + v[0] - 10 * v[1];
  assert.deepEqual(
    explainMany(model, inputs, { score }),
    inputs.map(createScoreExplainer(model, { score })),
  );
});

Deno.test("DistinctPoints keys by the exact bits: 0.1 + 0.2 and 0.3 are two points", () => {
  const d = new DistinctPoints(2);
  assert.equal(d.add([0.1 + 0.2, 1]), 0);
  assert.equal(d.add([0.3, 1]), 1);
  assert.equal(d.add([0.1 + 0.2, 1]), 0);
  assert.equal(d.slot([0.3, 1]), 1);
  assert.equal(d.slot([0.3, 2]), undefined);
  assert.equal(d.points.length, 2);
  // the index of a model is shared by the batch and the single searches
  const model = tieModel(5, "uniform", 1);
  assert.equal(indexFor(model.knn), indexFor(model.knn));
});
