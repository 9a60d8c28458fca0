import assert from "node:assert/strict";
import {
  argmax,
  fitKnn,
  indexFor,
  type KnnModel,
  NeighbourIndex,
  predictKnn,
  predictOne,
  vote,
} from "../../src/score/neighbours.ts";
import { createRng, normal } from "../../src/model/random.ts";

function randomPoints(n: number, d: number, seed: number, grid = false): number[][] {
  const rng = createRng(seed);
  // grid = true: coarse integer coordinates, so many exact distance ties occur
  return Array.from(
    { length: n },
    () => Array.from({ length: d }, () => (grid ? rng.int(4) : normal(rng))),
  );
}

/** Brute-force canonical neighbours: by squared distance (same arithmetic), then index. */
function bruteForce(points: number[][], q: number[], k: number) {
  const all = points.map((p, index) => {
    let s = 0;
    for (let j = 0; j < q.length; j++) {
      const t = q[j] - p[j];
      s += t * t;
    }
    return { index, sq: s };
  });
  all.sort((a, b) => a.sq - b.sq || a.index - b.index);
  return all.slice(0, k).map((x) => ({ index: x.index, distance: Math.sqrt(x.sq) }));
}

Deno.test("NeighbourIndex (ml-knn KD-tree) equals brute force, including exact ties", () => {
  for (const [grid, seed] of [[false, 1], [true, 2]] as const) {
    const pts = randomPoints(400, 5, seed, grid);
    const index = new NeighbourIndex(pts);
    const queries = randomPoints(60, 5, seed + 100, grid);
    for (const q of queries) {
      for (const k of [1, 3, 7, 25]) {
        assert.deepEqual(index.query(q, k), bruteForce(pts, q, k), `grid=${grid} k=${k}`);
      }
    }
  }
});

Deno.test("canonical neighbours: prefixes of a larger query are the smaller query", () => {
  const pts = randomPoints(300, 3, 5, true);
  const index = new NeighbourIndex(pts);
  for (const q of randomPoints(30, 3, 6, true)) {
    const big = index.query(q, 30);
    for (const k of [1, 5, 12]) assert.deepEqual(index.query(q, k), big.slice(0, k));
  }
});

Deno.test("ties at the k-th distance keep the smallest row indices", () => {
  const pts = Array.from({ length: 10 }, () => [1, 1]);
  const index = new NeighbourIndex(pts);
  assert.deepEqual(index.query([0, 1], 3).map((n) => n.index), [0, 1, 2]);
  assert.deepEqual(index.query([0, 1], 3).map((n) => n.distance), [1, 1, 1]);
  assert.equal(index.query([0, 1], 50).length, 10); // k clamped to the number of points
});

Deno.test("vote: uniform, 1/d and the exact-match rule (hand-computed)", () => {
  const nbs = [{ distance: 1, label: 0 }, { distance: 2, label: 1 }, { distance: 4, label: 1 }];
  assert.deepEqual(vote(nbs, "uniform", 2), [1 / 3, 2 / 3]);
  const w = vote(nbs, "distance", 3);
  assert.ok(Math.abs(w[0] - 1 / 1.75) < 1e-15 && Math.abs(w[1] - 0.75 / 1.75) < 1e-15);
  assert.equal(w[2], 0);
  const exact = [{ distance: 0, label: 1 }, { distance: 0, label: 0 }, {
    distance: 0.1,
    label: 0,
  }];
  assert.deepEqual(vote(exact, "distance", 2), [0.5, 0.5]);
  assert.equal(argmax([0.5, 0.5]), 0); // ties → lower class
  assert.deepEqual(vote([], "uniform", 2), [0, 0]);
  const tiny = vote([{ distance: 1e-320, label: 1 }, { distance: 1, label: 0 }], "distance", 2);
  assert.deepEqual(tiny, [0, 1]); // 1/d overflows → treated as an exact match, never NaN
});

function blobs(nPerClass: number, seed: number) {
  const rng = createRng(seed);
  const centres = [[0, 0, 0], [20, 0, 0], [0, 20, 0]];
  const points: number[][] = [];
  const labels: number[] = [];
  centres.forEach((c, label) => {
    for (let i = 0; i < nPerClass; i++) {
      points.push(c.map((x) => x + normal(rng)));
      labels.push(label);
    }
  });
  return { points, labels };
}

Deno.test("KNN on separable data is perfect, with certain probabilities", () => {
  const train = blobs(60, 1);
  const test = blobs(30, 2);
  for (const weighting of ["uniform", "distance"] as const) {
    const model = fitKnn(train.points, train.labels, { k: 7, weighting, nClasses: 3 });
    const preds = predictKnn(model, test.points);
    assert.deepEqual(preds.map((p) => p.label), test.labels);
    preds.forEach((p, i) => {
      assert.equal(p.probabilities[test.labels[i]], 1);
      assert.equal(p.neighbours.length, 7);
      assert.ok(p.neighbours.every((nb) => nb.label === test.labels[i]));
      for (let j = 1; j < p.neighbours.length; j++) {
        assert.ok(p.neighbours[j].distance >= p.neighbours[j - 1].distance);
      }
    });
  }
});

Deno.test("KNN model is plain data: JSON round trip gives identical predictions", () => {
  const train = { points: randomPoints(300, 4, 8), labels: [] as number[] };
  const rng = createRng(9);
  train.labels = train.points.map(() => rng.int(3));
  const model = fitKnn(train.points, train.labels, { k: 9, weighting: "distance" });
  const copy: KnnModel = JSON.parse(JSON.stringify(model));
  assert.deepEqual(copy, model);
  const queries = randomPoints(100, 4, 10);
  assert.deepEqual(predictKnn(copy, queries), predictKnn(model, queries));
  assert.equal(indexFor(model), indexFor(model)); // cached per model
});

Deno.test("fitKnn validates its input", () => {
  assert.throws(() => fitKnn([], [], {}), RangeError);
  assert.throws(() => fitKnn([[1], [2]], [0], {}), RangeError);
  assert.throws(() => fitKnn([[1], [2]], [0, 1], { k: 0 }), RangeError);
  assert.throws(() => fitKnn([[1], [2, 3]], [0, 1], {}), RangeError);
  assert.throws(() => fitKnn([[1], [NaN]], [0, 1], {}), RangeError);
  assert.throws(() => fitKnn([[1], [2]], [0, 2], { nClasses: 2 }), RangeError);
  const m = fitKnn([[0], [1]], [0, 1], {});
  assert.equal(m.nClasses, 2);
  assert.equal(m.k, 5);
  assert.equal(predictOne(m, [0.9]).neighbours.length, 2);
  assert.throws(() => predictOne(m, [0, 1]), RangeError);
});
