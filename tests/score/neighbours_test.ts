import assert from "node:assert/strict";
import { bruteMass } from "./brute.ts";
import {
  argmax,
  collapseDuplicates,
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

Deno.test("NeighbourIndex equals brute force, including exact ties", () => {
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

Deno.test("nearest with customers per point and weights equals brute force (walk and scan)", () => {
  for (const [grid, seed] of [[false, 11], [true, 12]] as const) {
    const pts = randomPoints(300, 4, seed, grid);
    const rng = createRng(seed);
    const mass = pts.map(() => 1 + rng.int(4));
    const w = [2, 0.5, 0, 1];
    const index = new NeighbourIndex(pts, { weights: w, mass });
    for (const q of randomPoints(40, 4, seed + 50, grid)) {
      for (const k of [1, 3, 10, 31, 32, 60, 200, 5000]) {
        assert.deepEqual(index.nearest(q, k), bruteMass(pts, mass, w, q, k), `k=${k}`);
      }
    }
  }
});

Deno.test("collapsing duplicates keeps every customer: votes are the class shares", () => {
  const rows = [[0], [0], [0], [0], [5], [5]];
  const labels = [0, 0, 1, 2, 1, 1];
  const c = collapseDuplicates(rows, labels, 3);
  const model = fitKnn(c.points, c.labels, { k: 4, counts: c.counts, nClasses: 3 });
  const p = predictOne(model, [0]);
  assert.deepEqual(p.probabilities, [0.5, 0.25, 0.25]);
  assert.deepEqual(p.neighbours.map((n) => [n.index, n.customers]), [[0, 4]]);
  // k = 5 takes one customer of the second point too
  const p5 = predictOne({ ...model, k: 5 }, [0]);
  assert.deepEqual(p5.probabilities, [0.4, 0.4, 0.2]);
  // with 1 / (d + ε), an exact match weighs 1 / ε, not infinitely: still the shares
  const d = predictOne({ ...model, k: 4, weighting: "distance", offset: 0.1 }, [0]);
  assert.deepEqual(d.probabilities, [0.5, 0.25, 0.25]);
});

Deno.test("a search hint never changes the result (ties, counts, weights, useless hints)", () => {
  const rng = createRng(17);
  // integer coordinates: many exact ties of distance
  const points = Array.from({ length: 400 }, () => [rng.int(6), rng.int(6), rng.int(4)]);
  const counts = points.map(() => [rng.int(3), 1 + rng.int(2), rng.int(2)]);
  const model = fitKnn(points, counts.map((c) => c.indexOf(Math.max(...c))), {
    k: 25,
    nClasses: 3,
    counts,
    featureWeights: [1, 2, 0.5],
  });
  const index = indexFor(model);
  let hinted = 0;
  for (let t = 0; t < 300; t++) {
    const q = [rng.int(7) - 0.5 * rng.int(2), rng.int(6), rng.int(4)];
    const plain = index.nearestArrays(q, model.k);
    // hints: the neighbours of a nearby query, a few random points, nonsense, nothing useful
    const near = index.nearestArrays([q[0] + 1, q[1], q[2]], model.k);
    const hints: ArrayLike<number>[] = [
      near.index.slice(0, near.length),
      Array.from({ length: 30 }, () => rng.int(400)),
      [-1, 1e9, 2.5, 3, 3],
      [],
      plain.index.slice(0, plain.length),
    ];
    for (const hint of hints) {
      const h = index.nearestArrays(q, model.k, hint);
      assert.deepEqual(
        [[...h.index], [...h.distance], [...h.take]],
        [[...plain.index], [...plain.distance], [...plain.take]],
        `query ${q}, hint ${Array.from(hint).slice(0, 5)}`,
      );
      hinted++;
    }
    const p = predictOne(model, q, Infinity, { hint: near.index });
    assert.deepEqual(p, predictOne(model, q));
  }
  assert.equal(hinted, 1500);
});

Deno.test("a prepared query equals the search at points one coordinate away (ties, counts, weights)", () => {
  const rng = createRng(23);
  // Weights whose square roots are irrational: the weighted coordinates are rounded, so that the
  // shortcut d² − old + new and the search's own sum differ in the last bits, and grid
  // coordinates make many distances tie (or nearly tie) at the k-th customer.
  const w = [0.3, 1.7, 0, 2.2, 1];
  let compared = 0;
  for (const grid of [true, false]) {
    const points = randomPoints(500, 5, grid ? 31 : 32, grid);
    const mass = points.map(() => 1 + (rng.int(5) === 0 ? rng.int(4) : 0));
    const index = new NeighbourIndex(points, { weights: w, mass });
    for (let t = 0; t < 60; t++) {
      const q = grid
        ? Array.from({ length: 5 }, () => rng.int(4) + (rng.int(3) === 0 ? 0.5 : 0))
        : randomPoints(1, 5, 1000 + t)[0];
      // the pass (what this test is about), the tree and the automatic choice
      const prepared = (["pass", "tree", "auto"] as const).map((m) => index.prepare(q, m));
      const same = (p: number[], k: number) => {
        const b = index.nearestArrays(p, k);
        for (const around of prepared) {
          const a = around.nearestArrays(p, k);
          assert.deepEqual(
            [[...a.index], [...a.distance], [...a.take]],
            [[...b.index], [...b.distance], [...b.take]],
            `grid=${grid} query ${q} → ${p}, k=${k}`,
          );
        }
        compared++;
      };
      for (const k of [1, 7, 40, 41.5, 5000]) {
        same(q, k);
        for (let j = 0; j < 5; j++) {
          // one coordinate changed (j = 2 has weight 0: the same weighted point), to another
          // grid value, to a far value and to the same value
          for (const v of [rng.int(4), q[j] + 0.5, -30, 40, q[j]]) {
            const p = q.slice();
            p[j] = v;
            same(p, k);
          }
        }
        // two coordinates changed: searched as usual, same result
        same([q[0] + 1, q[1] - 1, ...q.slice(2)], k);
      }
    }
  }
  assert.equal(compared, 2 * 60 * 5 * (1 + 25 + 1));
  const index = new NeighbourIndex([[0, 0], [1, 1]]);
  assert.throws(() => index.prepare([0]), RangeError);
  assert.throws(() => index.prepare([0, NaN]), RangeError);
  assert.throws(() => index.prepare([0, 0]).nearestArrays([0, Infinity], 1), RangeError);
  assert.equal(index.prepare([0, 0]).nearestArrays([1, 0], 0).length, 0);
});

Deno.test("a prepared query of another customer or another index is still exact", () => {
  const rng = createRng(29);
  const points = randomPoints(300, 3, 41, true);
  const model = fitKnn(points, points.map(() => rng.int(3)), { k: 12, nClasses: 3 });
  const index = indexFor(model);
  const a = index.prepare([1, 1, 1], "pass");
  const b = index.prepare([2, 0, 3], "pass"); // shares the index's scratch space with a
  for (const [prepared, q] of [[a, [1, 3, 1]], [b, [2, 0, 0]], [a, [0, 1, 1]]] as const) {
    assert.deepEqual(prepared.nearestArrays(q, 12), index.nearestArrays(q, 12));
    assert.deepEqual(predictOne(model, q, 5, { prepared }), predictOne(model, q, 5));
  }
  // a query of another index is ignored by predictOne
  const other = new NeighbourIndex(points.map((p) => [p[0], p[1], -p[2]])).prepare([1, 1, 1]);
  assert.deepEqual(
    predictOne(model, [1, 1, 2], 5, { prepared: other }),
    predictOne(model, [1, 1, 2], 5),
  );
});

Deno.test("collapseDuplicates keys rows by their exact bits, in first-seen order", () => {
  // The reference: a key made of the rows' bits (what the table replaced).
  const reference = (rows: number[][], labels: number[], nClasses: number) => {
    const byKey = new Map<string, number>();
    const points: number[][] = [];
    const counts: number[][] = [];
    const pointOf: number[] = [];
    for (const [i, r] of rows.entries()) {
      const key = String.fromCharCode(...new Uint16Array(Float64Array.from(r).buffer));
      let p = byKey.get(key);
      if (p === undefined) {
        p = points.length;
        byKey.set(key, p);
        points.push([...r]);
        counts.push(new Array<number>(nClasses).fill(0));
      }
      counts[p][labels[i]]++;
      pointOf.push(p);
    }
    return { points, counts, pointOf };
  };
  const rng = createRng(3);
  const values = [0, -0, 1, 2.5, NaN, 1e-300, -7];
  for (const d of [1, 3, 6]) {
    // Many duplicates (few values per coordinate), and enough rows to fill and probe the table.
    const rows = Array.from(
      { length: 5000 },
      () => Array.from({ length: d }, () => values[rng.int(values.length)]),
    );
    const labels = rows.map(() => rng.int(3));
    const got = collapseDuplicates(rows, labels, 3);
    const want = reference(rows, labels, 3);
    assert.ok(got.points.length < rows.length, `d=${d}: duplicates`);
    if (d > 1) assert.ok(got.points.length > 50, `d=${d}: the table holds many points`);
    assert.deepEqual(got.pointOf, want.pointOf, `d=${d}`);
    assert.deepEqual(got.counts, want.counts, `d=${d}`);
    assert.equal(got.points.length, want.points.length);
  }
  // -0 and 0 are different bits: two points, as the bit key had them.
  assert.equal(collapseDuplicates([[0], [-0], [0]], [0, 0, 0], 1).points.length, 2);
});
