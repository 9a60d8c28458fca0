import assert from "node:assert/strict";
import {
  evaluateWeightTrials,
  knnOutOfFold,
  MIN_GAIN,
  scoreConfigs,
  searchWeights,
  searchWeightsBeside,
  TRIALS_HERE,
  votesByK,
} from "../../src/model/knn_tuning.ts";
import { WorkerSession } from "../../src/lib/worker.ts";
import { fitScaler, transform } from "../../src/score/scaler.ts";
import {
  collapseDuplicates,
  fitKnn,
  NeighbourIndex,
  predictOne,
  type Weighting,
} from "../../src/score/neighbours.ts";
import { createRng } from "../../src/model/random.ts";

const KNN_TUNING = new URL("../../src/model/knn_tuning.ts", import.meta.url);

Deno.test("votesByK equals one prediction per k, with counts, both weightings", () => {
  const rng = createRng(2);
  const rows = Array.from({ length: 120 }, () => [rng.int(5), rng.int(4)]);
  const labels = rows.map((r) => (r[0] + r[1] > 4 ? 2 : r[0] > 1 ? 1 : rng.int(2)));
  const c = collapseDuplicates(rows, labels, 3);
  const shares = c.counts.map((x) => x.map((v) => v / x.reduce((a, b) => a + b, 0)));
  for (const weighting of ["uniform", "distance"] as const) {
    for (const offset of weighting === "distance" ? [0, 0.5] : [0]) {
      const m = fitKnn(c.points, c.labels, { k: 40, weighting, offset, counts: c.counts });
      for (const q of [[0, 0], [2.5, 1], [4, 3]]) {
        const nbs = predictOne(m, q).neighbours;
        const found = {
          length: nbs.length,
          index: Int32Array.from(nbs, (n) => n.index),
          distance: Float64Array.from(nbs, (n) => n.distance),
          take: Float64Array.from(nbs, (n) => n.customers),
        };
        const byK = votesByK(found, (i) => shares[i], [1, 7, 40], weighting, offset, 3);
        [1, 7, 40].forEach((k, i) => {
          const want = predictOne({ ...m, k }, q).probabilities;
          byK[i].forEach((v, cl) => assert.ok(Math.abs(v - want[cl]) < 1e-12, `${k} ${cl}`));
        });
      }
    }
  }
});

Deno.test("knnOutOfFold: a fold's scaler sees its training rows only; each row validated once", () => {
  const x = Array.from({ length: 60 }, (_, i) => i * i);
  const labels = x.map((_, i) => i % 3);
  const folds = [0, 1, 2].map((f) => ({
    train: x.map((_, i) => i).filter((i) => i % 3 !== f),
    validation: x.map((_, i) => i).filter((i) => i % 3 === f),
  }));
  const oof = knnOutOfFold(
    { columns: { x }, labels, features: ["x"], logFeatures: [], nClasses: 3 },
    folds,
    { weights: [1], kGrid: [1], weightings: ["uniform"], offset: 0 },
  );
  assert.deepEqual([...oof.rows].sort((a, b) => a - b), x.map((_, i) => i));
  // with k = 1 the vote is the nearest training row of the fold (scaled with the fold's scaler)
  const s = fitScaler({ x }, ["x"], [], folds[0].train);
  const z = transform(s, { x }, folds[0].train).map((r) => r[0]);
  const zv = transform(s, { x }, [0])[0][0];
  const nearest = folds[0].train[z.indexOf(Math.min(...z.filter((v) => v >= zv)))];
  assert.deepEqual(oof.probs[0][0], [0, 1, 2].map((c) => (labels[nearest] === c ? 1 : 0)));
});

/** The former knnOutOfFold: one NeighbourIndex (k-d tree) search per distinct validation row. */
function referenceOutOfFold(
  data: Parameters<typeof knnOutOfFold>[0],
  folds: Parameters<typeof knnOutOfFold>[1],
  options: Parameters<typeof knnOutOfFold>[2],
) {
  const { features, logFeatures, labels, nClasses } = data;
  const active = features.map((_, j) => j).filter((j) => options.weights[j] > 0);
  const weights = active.map((j) => options.weights[j]);
  const ks = [...options.kGrid].sort((a, b) => a - b);
  const configs = options.weightings.flatMap((w) => ks.map((k) => ({ k, weighting: w })));
  const out = {
    configs,
    rows: [] as number[],
    fold: [] as number[],
    probs: configs.map(() => [] as number[][]),
  };
  folds.forEach((fold, f) => {
    const scaler = fitScaler(data.columns, features, logFeatures, fold.train);
    const project = (rows: readonly number[]) =>
      transform(scaler, data.columns, rows).map((z) => active.map((j) => z[j]));
    const c = collapseDuplicates(project(fold.train), fold.train.map((r) => labels[r]), nClasses);
    const shares = c.counts.map((x) => x.map((v) => v / x.reduce((a, b) => a + b, 0)));
    const mass = c.counts.map((x) => x.reduce((a, b) => a + b, 0));
    const index = new NeighbourIndex(c.points, { weights, mass });
    const kMax = Math.min(ks[ks.length - 1], index.totalMass);
    const Z = project(fold.validation);
    fold.validation.forEach((r, v) => {
      const found = index.nearestArrays(Z[v], kMax);
      const votes = options.weightings.map((w) =>
        votesByK(found, (i) => shares[i], ks, w, options.offset, nClasses)
      );
      out.rows.push(r);
      out.fold.push(f);
      configs.forEach((cf, ci) => {
        out.probs[ci].push(votes[options.weightings.indexOf(cf.weighting)][ks.indexOf(cf.k)]);
      });
    });
  });
  return out;
}

/** A table with integer and continuous features (many tied distances and duplicate rows). */
function table(n: number, seed: number) {
  const rng = createRng(seed);
  const a = Array.from({ length: n }, () => rng.int(4));
  const b = Array.from({ length: n }, () => rng.int(3) * 10);
  const c = Array.from({ length: n }, () => (rng.int(3) === 0 ? 0 : rng.next() * 50));
  const d = Array.from({ length: n }, () => rng.int(2));
  const labels = a.map((v, i) => (v + d[i] > 3 ? 2 : c[i] > 25 ? 1 : rng.int(3) === 0 ? 2 : 0));
  const rows = Array.from({ length: n }, (_, i) => i);
  const folds = [0, 1, 2, 3].map((f) => ({
    train: rows.filter((i) => i % 4 !== f),
    validation: rows.filter((i) => i % 4 === f),
  }));
  return {
    data: {
      columns: { a, b, c, d },
      labels,
      features: ["a", "b", "c", "d"],
      logFeatures: ["c"],
      nClasses: 3,
    },
    folds,
  };
}

Deno.test("knnOutOfFold's scan is bit-for-bit the k-d tree search (weights, duplicates, large k)", () => {
  const { data, folds } = table(240, 3);
  // large k (the scan), and small k without hints (the k-d tree itself)
  const large = [1, 2, 5, 17, 60, 175, 500];
  const cases = [
    { offset: 0.1, kGrid: large },
    { offset: 0, kGrid: large },
    { offset: 0.1, kGrid: [1, 3, 9] },
  ];
  for (const weights of [[1, 1, 1, 1], [0.5, 0, 2, 1], [0, 0, 1, 0], [4, 0.25, 1, 0]]) {
    for (const { offset, kGrid } of cases) {
      const options = {
        weights,
        kGrid: [...kGrid],
        weightings: ["uniform", "distance"] as const,
        offset,
      };
      const opts = { ...options, weightings: [...options.weightings] };
      assert.deepEqual(knnOutOfFold(data, folds, opts), referenceOutOfFold(data, folds, opts));
    }
  }
});

/** The weight-search case of the tests below: a table, its folds, the k grid and the weight grid. */
function searchCase() {
  const { data, folds } = table(200, 8);
  const options = {
    kGrid: [3, 10, 40],
    weightings: ["uniform", "distance"] as Weighting[],
    offset: 0.1,
  };
  return { data, folds, options, grid: [0, 0.5, 1, 2] };
}

Deno.test("searchWeights with reused folds and hinted scans equals a search of full evaluations", () => {
  const { data, folds, options, grid } = searchCase();
  const got = searchWeights(data, folds, options, grid, 2);
  // The same coordinate search, each evaluation a fresh reference cross-validation.
  const evaluate = (weights: readonly number[]) => {
    if (!weights.some((w) => w > 0)) return -Infinity;
    const oof = referenceOutOfFold(data, folds, { ...options, weights });
    return Math.max(...scoreConfigs(oof, data.labels, data.nClasses).map((c) => c.meanAuc));
  };
  const weights = data.features.map(() => 1);
  let current = evaluate(weights);
  const criteria = [current];
  for (let pass = 1; pass <= 2; pass++) {
    let changed = false;
    data.features.forEach((_, j) => {
      let bestW = weights[j];
      let bestC = current;
      for (const w of grid) {
        if (w === weights[j]) continue;
        const c = evaluate(weights.map((x, i) => (i === j ? w : x)));
        if (c > bestC + MIN_GAIN || (bestW !== weights[j] && c > bestC + 1e-12)) {
          bestC = c;
          bestW = w;
        }
      }
      if (bestW !== weights[j]) {
        weights[j] = bestW;
        current = bestC;
        changed = true;
      }
      criteria.push(current);
    });
    if (!changed) break;
  }
  assert.deepEqual(got.weights, weights);
  assert.deepEqual(got.path.map((p) => p.criterion), criteria);
  assert.ok(got.path.some((p) => p.changed), "the fixture should move at least one weight");
});

Deno.test("the search with trials shared with a worker is the search on one thread, bit for bit", async () => {
  const { data, folds, options, grid } = searchCase();
  const one = searchWeights(data, folds, options, grid, 2);
  assert.ok(one.path.some((p) => p.changed), "the fixture should move at least one weight");
  // The worker keeps its own trials of the same data (sent once), as the model stage's does.
  const worker = new WorkerSession(KNN_TUNING, {
    make: { fn: "weightTrials", args: [data, folds, options] },
  });
  try {
    const sent: number[][][] = [];
    const elsewhere = (trials: number[][]) => {
      sent.push(trials);
      return worker.call<number[]>("evaluateAll", [trials]);
    };
    // Most trials here, then most of them in the worker (3 trials a batch: 2 | 1, then 1 | 2).
    for (const here of [TRIALS_HERE, 0.2]) {
      sent.length = 0;
      const two = await searchWeightsBeside(data, folds, options, grid, 2, elsewhere, here);
      assert.deepEqual(two, one);
      assert.equal(
        sent.length,
        one.path.length - 1,
        "every feature's batch went in part to the worker",
      );
      assert.deepEqual(
        evaluateWeightTrials(data, folds, options, sent.flat()),
        await worker.call("evaluateAll", [sent.flat()]),
      );
    }
  } finally {
    worker.close();
  }
});

Deno.test("a search whose trials elsewhere fail rejects with their error", async () => {
  const { data, folds } = table(60, 2);
  const options = { kGrid: [3], weightings: ["uniform"] as Weighting[], offset: 0.1 };
  const failing = () => Promise.reject(new Error("the worker failed"));
  await assert.rejects(
    searchWeightsBeside(data, folds, options, [0, 1, 2], 1, failing),
    /the worker failed/,
  );
  const short = () => Promise.resolve([]);
  await assert.rejects(
    searchWeightsBeside(data, folds, options, [0, 1, 2], 1, short, 0.4),
    /expected 1 criteria from elsewhere, got 0/,
  );
});
