import assert from "node:assert/strict";
import {
  adjustedRandIndex,
  chooseK,
  clusterNames,
  clusterProfiles,
  crossTab,
  fitKMeans,
  orderClusters,
  silhouette,
  silhouetteScores,
  stability,
  sweepK,
} from "../../src/model/kmeans.ts";
import { createRng, normal, shuffle } from "../../src/model/random.ts";

const close = (a: number, b: number, eps = 1e-12) =>
  assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

/** Four well-separated Gaussian clusters in 3-D, rows in shuffled order. */
function planted(nPer: number, seed: number) {
  const rng = createRng(seed);
  const centres = [[0, 0, 0], [12, 0, 0], [0, 12, 0], [0, 0, 12]];
  const rows: { p: number[]; g: number }[] = [];
  centres.forEach((c, g) => {
    for (let i = 0; i < nPer; i++) rows.push({ p: c.map((x) => x + 0.7 * normal(rng)), g });
  });
  const s = shuffle(rows, rng);
  return { points: s.map((r) => r.p), truth: s.map((r) => r.g) };
}

Deno.test("planted clusters are recovered exactly (ARI = 1) and k = 4 is chosen", () => {
  const { points, truth } = planted(80, 1);
  const fit = fitKMeans(points, 4, { restarts: 5, seed: 3 });
  assert.equal(adjustedRandIndex(fit.labels, truth), 1);
  assert.equal(fit.emptyClusters, 0);
  const { sweep, fits } = sweepK(points, { kMin: 2, kMax: 6, restarts: 4, seed: 3 });
  assert.deepEqual(sweep.map((r) => r.k), [2, 3, 4, 5, 6]);
  assert.equal(chooseK(sweep).k, 4);
  assert.equal(adjustedRandIndex(fits[2].labels, truth), 1);
  // inertia falls with k
  for (let i = 1; i < sweep.length; i++) assert.ok(sweep[i].inertia < sweep[i - 1].inertia);
  // silhouette on a fixed sample also picks 4, deterministically
  const a = sweepK(points, { kMin: 2, kMax: 6, restarts: 4, seed: 3, silhouetteSample: 100 });
  const b = sweepK(points, { kMin: 2, kMax: 6, restarts: 4, seed: 3, silhouetteSample: 100 });
  assert.deepEqual(a, b);
  assert.equal(chooseK(a.sweep).k, 4);
  assert.equal(chooseK(a.sweep, 3).k, 3); // configuration override
});

Deno.test("fitKMeans is deterministic for a seed", () => {
  const { points } = planted(30, 2);
  assert.deepEqual(
    fitKMeans(points, 3, { restarts: 3, seed: 9 }),
    fitKMeans(points, 3, { restarts: 3, seed: 9 }),
  );
});

Deno.test("stability of planted clusters: every pairwise ARI is 1", () => {
  const { points } = planted(40, 3);
  const s = stability(points, 4, 3, { restarts: 4, seed: 5 });
  assert.equal(s.seeds.length, 3);
  assert.equal(s.seeds[0], 5);
  assert.equal(s.pairwise.length, 3);
  assert.equal(s.mean, 1);
  assert.equal(s.min, 1);
  const first = fitKMeans(points, 4, { restarts: 4, seed: 5 });
  assert.deepEqual(stability(points, 4, 3, { restarts: 4, seed: 5 }, first), s);
});

Deno.test("silhouette: hand-computed 1-D example, singletons, one cluster", () => {
  // points 0,1 | 4,5: s(0) = (4.5-1)/4.5, s(1) = (3.5-1)/3.5, symmetric → (7/9 + 5/7) / 2
  const pts = [[0], [1], [4], [5]];
  close(silhouette(pts, [0, 0, 1, 1]), (7 / 9 + 5 / 7) / 2);
  // a singleton scores 0: points 0 | 1,5 → s(0)=0; s(1): a=4, b=1 → -3/4; s(5): a=4, b=5 → 1/5
  close(silhouette([[0], [1], [5]], [0, 1, 1]), (0 - 0.75 + 0.2) / 3);
  assert.equal(silhouette(pts, [0, 0, 0, 0]), 0);
  const many = silhouetteScores(pts, [[0, 0, 1, 1], [0, 1, 1, 1]]);
  close(many[0], silhouette(pts, [0, 0, 1, 1]));
  close(many[1], silhouette(pts, [0, 1, 1, 1]));
});

Deno.test("adjusted Rand index: hand-computed values", () => {
  assert.equal(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 1);
  close(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2]), 4 / 7);
  close(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]), -0.5);
  assert.equal(adjustedRandIndex([0, 0, 0], [1, 1, 1]), 1);
  assert.throws(() => adjustedRandIndex([0], [0, 1]), RangeError);
});

Deno.test("orderClusters ranks by mean value; names come from the rank", () => {
  const { rank, meanValue } = orderClusters([0, 0, 1, 1, 2], 3, [5, 5, 1, 1, 3]);
  assert.deepEqual(rank, [2, 0, 1]);
  assert.deepEqual(meanValue, [1, 3, 5]);
  assert.deepEqual(clusterNames(4), ["Dormant", "Occasional", "Regular", "VIP"]);
  for (let k = 2; k <= 10; k++) {
    const names = clusterNames(k);
    assert.equal(names.length, k);
    assert.equal(new Set(names).size, k);
  }
  assert.deepEqual(clusterNames(12).slice(0, 2), ["Tier 1 (lowest)", "Tier 2"]);
  assert.equal(clusterNames(12)[11], "Tier 12 (highest)");
});

Deno.test("profiles and cross-tab", () => {
  const clusters = [0, 0, 1, 1, 1];
  const names = ["Low", "High"];
  const p = clusterProfiles(clusters, names, {
    recency_days: [100, 200, 1, 3, 5],
    frequency: [1, 1, 4, 6, 8],
    monetary: [10, 30, 100, 200, 660],
  });
  assert.deepEqual(p.map((c) => c.size), [2, 3]);
  close(p[0].share, 0.4);
  close(p[0].revenueShare!, 40 / 1000);
  close(p[1].revenueShare!, 960 / 1000);
  assert.equal(p[0].medianRecencyDays, 150);
  assert.equal(p[1].medianFrequency, 6);
  assert.equal(p[1].medianMonetary, 200);
  // an empty cluster has no medians and no customer share
  const empty = clusterProfiles([0, 0], ["A", "B"], {
    recency_days: [1, 2],
    frequency: [1, 1],
    monetary: [5, 5],
  })[1];
  assert.deepEqual(
    [empty.size, empty.share, empty.medianRecencyDays, empty.medianMonetary],
    [0, 0, null, null],
  );
  const t = crossTab(clusters, names, ["b", "a", "a", "b", "a"]);
  assert.deepEqual(t.columns, ["a", "b"]);
  assert.deepEqual(t.counts, [[1, 1], [2, 1]]);
});

Deno.test("fitKMeans is bit-for-bit ml-kmeans 7.0.1 (k-means++ and Lloyd), ties and duplicates included", async () => {
  // The package is the reference: same seeds, same options; every label, centroid coordinate,
  // iteration count and convergence flag must match exactly.
  const { kmeans } = await import("ml-kmeans");
  const rng = createRng(21);
  const sets = [
    planted(25, 4).points,
    // integer grid with many duplicate points and tied distances
    Array.from({ length: 150 }, () => [rng.int(4), rng.int(3), rng.int(2)]),
    // one dense blob and a few far points (slow convergence, moving centres)
    Array.from(
      { length: 200 },
      (_, i) => i < 190 ? [normal(rng), normal(rng)] : [30 + rng.next(), -20 * rng.next()],
    ),
  ];
  for (const points of sets) {
    for (const k of [1, 2, 3, 5, 8]) {
      for (const maxIterations of [300, 2]) {
        const fit = fitKMeans(points, k, { restarts: 3, seed: 17, maxIterations });
        const ref = kmeans(points, k, {
          initialization: "kmeans++",
          seed: fit.seed,
          maxIterations,
          tolerance: 1e-6,
        });
        assert.deepEqual(fit.labels, Array.from(ref.clusters));
        assert.deepEqual(fit.centroids, ref.centroids.map((c) => Array.from(c)));
        assert.equal(fit.iterations, ref.iterations);
        assert.equal(fit.converged, ref.converged);
        // single starts of other master seeds agree too
        for (const seed of [1, 99]) {
          const one = fitKMeans(points, k, { restarts: 1, seed, maxIterations });
          const o = kmeans(points, k, {
            initialization: "kmeans++",
            seed: one.seed,
            maxIterations,
          });
          assert.deepEqual(one.labels, Array.from(o.clusters));
          assert.deepEqual(one.centroids, o.centroids.map((c) => Array.from(c)));
        }
      }
    }
  }
});

Deno.test("silhouetteScores: the row-by-row sums equal the symmetric pass to the bit", () => {
  const rng = createRng(5);
  const points = Array.from({ length: 120 }, () => [rng.int(5), normal(rng), rng.next() * 3]);
  const labelings = [2, 3, 7].map((k) => points.map(() => rng.int(k)));
  // The former implementation: each pair once, its distance added to both points' sums.
  const n = points.length;
  const reference = labelings.map((lab) => {
    const k = Math.max(...lab) + 1;
    const sums = Array.from({ length: n }, () => new Array<number>(k).fill(0));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let s = 0;
        for (let t = 0; t < points[i].length; t++) {
          const diff = points[i][t] - points[j][t];
          s += diff * diff;
        }
        const dist = Math.sqrt(s);
        sums[i][lab[j]] += dist;
        sums[j][lab[i]] += dist;
      }
    }
    const sizes = new Array<number>(k).fill(0);
    lab.forEach((c) => sizes[c]++);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const own = lab[i];
      if (sizes[own] <= 1) continue;
      const a = sums[i][own] / (sizes[own] - 1);
      let b = Infinity;
      for (let c = 0; c < k; c++) {
        if (c !== own && sizes[c] > 0) b = Math.min(b, sums[i][c] / sizes[c]);
      }
      const den = Math.max(a, b);
      acc += den === 0 ? 0 : (b - a) / den;
    }
    return acc / n;
  });
  assert.deepEqual(silhouetteScores(points, labelings), reference);
});
