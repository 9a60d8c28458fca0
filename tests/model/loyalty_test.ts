import assert from "node:assert/strict";
import { DEFAULT_MODEL, type ModelConfig } from "../../src/config/dataset.ts";
import { fitScaler, type Scaler } from "../../src/score/scaler.ts";
import { adjustedRandIndex } from "../../src/model/kmeans.ts";
import {
  type CustomerFeatures,
  fitLoyaltyModel,
  fitSegmentClassifier,
  roundDeep,
  segmentCustomers,
  tuneKnn,
} from "../../src/model/loyalty.ts";
import { createRng, normal, shuffle } from "../../src/model/random.ts";
import { type LoyaltyModel, scoreMany } from "../../src/score/score.ts";
import { stratifiedSplit } from "../../src/model/split.ts";

const CONFIG: ModelConfig = {
  ...DEFAULT_MODEL,
  seed: 99,
  kmeans: { ...DEFAULT_MODEL.kmeans, kMin: 2, kMax: 5, restarts: 3, stabilitySeeds: 3 },
  forward: { ...DEFAULT_MODEL.forward, cutoff: "2011-06-01", windowEnd: "2011-12-01" },
  knn: { kGrid: [1, 5, 15], weights: ["uniform", "distance"], folds: 3, testShare: 0.25 },
};

/** Builds a customer table from per-customer recency, frequency, monetary and tenure. */
function table(
  rows: { r: number; f: number; m: number; t: number; seg: string }[],
): CustomerFeatures {
  return {
    customer_id: rows.map((_, i) => `C${String(i).padStart(5, "0")}`),
    columns: {
      recency_days: rows.map((x) => x.r),
      frequency: rows.map((x) => x.f),
      monetary: rows.map((x) => x.m),
      tenure_days: rows.map((x) => x.t),
      avg_order_value: rows.map((x) => x.m / x.f),
    },
    rfm_segment: rows.map((x) => x.seg),
  };
}

/** Three well-separated value groups (0 low … 2 high), shuffled; returns the table and truth. */
function plantedCustomers(nPer: number, seed: number) {
  const rng = createRng(seed);
  const groups = [
    { r: 300, f: 1, m: 40, extra: 0 },
    { r: 40, f: 6, m: 900, extra: 150 },
    { r: 3, f: 45, m: 25000, extra: 500 },
  ];
  const rows: { r: number; f: number; m: number; t: number; seg: string; g: number }[] = [];
  groups.forEach((g, gi) => {
    for (let i = 0; i < nPer; i++) {
      const r = Math.max(1, Math.round(g.r * Math.exp(0.08 * normal(rng))));
      const f = Math.max(1, Math.round(g.f * Math.exp(0.05 * normal(rng))));
      const m = g.m * Math.exp(0.08 * normal(rng));
      const t = r + Math.round(g.extra * Math.exp(0.08 * normal(rng)));
      rows.push({ r, f, m, t, seg: ["Hibernating", "Loyal", "Champions"][gi], g: gi });
    }
  });
  const s = shuffle(rows, rng);
  return { table: table(s), truth: s.map((x) => x.g) };
}

/** Customers with a latent activity; the level in the window depends on it (noisily). */
function forwardCustomers(n: number, seed: number) {
  const rng = createRng(seed);
  const rows: { r: number; f: number; m: number; t: number; seg: string }[] = [];
  const labels: number[] = [];
  const persistence: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = normal(rng);
    const f = Math.max(1, Math.round(Math.exp(0.8 + 0.9 * a + 0.4 * normal(rng))));
    const r = Math.max(1, Math.min(700, Math.round(Math.exp(4 - 0.9 * a + 0.7 * normal(rng)))));
    const t = Math.min(720, r + (f > 1 ? Math.round(Math.exp(4.5 + 0.5 * normal(rng))) : 0));
    const m = f * Math.exp(5.5 + 0.5 * normal(rng));
    rows.push({ r, f, m, t, seg: r > 180 ? "Lost" : "Active" });
    const latent = a + 0.6 * normal(rng);
    labels.push(latent < -0.2 ? 0 : latent < 0.9 ? 1 : 2);
    persistence.push(r > 180 ? 0 : f >= 5 ? 2 : 1);
  }
  return { table: table(rows), labels, persistence };
}

Deno.test("segmentCustomers: planted value groups recovered (ARI 1), named by value", () => {
  const { table: t, truth } = plantedCustomers(60, 1);
  const seg = segmentCustomers(t, CONFIG);
  assert.equal(seg.chosenK, 3);
  assert.deepEqual(seg.sweep.map((r) => r.k), [2, 3, 4, 5]);
  assert.equal(adjustedRandIndex(seg.clusters, truth), 1);
  // value order: the cluster index equals the planted value rank, whatever ml-kmeans numbered
  assert.deepEqual(seg.clusters, truth);
  assert.deepEqual(seg.names, ["Low value", "Mid value", "High value"]);
  for (let c = 1; c < 3; c++) assert.ok(seg.clusterValue[c]! > seg.clusterValue[c - 1]!);
  assert.deepEqual(seg.profile.map((p) => p.size), [60, 60, 60]);
  assert.ok(seg.profile[2].revenueShare! > 0.9);
  assert.equal(seg.profile[0].medianFrequency, 1);
  assert.deepEqual(seg.crosstab!.columns, ["Champions", "Hibernating", "Loyal"]);
  assert.deepEqual(seg.crosstab!.counts, [[0, 60, 0], [0, 0, 60], [60, 0, 0]]);
  assert.equal(seg.stability.mean, 1);
  assert.equal(seg.stability.min, 1);
  // raw centroids are in customer units: the VIP centroid's frequency is near 45
  const fi = seg.features.indexOf("frequency");
  assert.ok(Math.abs(seg.centroids.raw[2][fi] - 45) < 3);
  assert.equal(seg.centroids.standardized.length, 3);
  // configuration override
  const fixed = segmentCustomers(t, { ...CONFIG, kmeans: { ...CONFIG.kmeans, k: 2 } });
  assert.equal(fixed.chosenK, 2);
  assert.match(fixed.rule, /fixed by configuration/);
});

Deno.test("segmentCustomers is deterministic (byte-identical JSON)", () => {
  const { table: t } = plantedCustomers(40, 2);
  assert.equal(
    JSON.stringify(segmentCustomers(t, CONFIG)),
    JSON.stringify(segmentCustomers(t, CONFIG)),
  );
});

Deno.test("fitSegmentClassifier: KNN reproduces well-separated segments", () => {
  const { table: t } = plantedCustomers(60, 3);
  const seg = segmentCustomers(t, CONFIG);
  const clf = fitSegmentClassifier(t, seg, CONFIG);
  assert.deepEqual(clf.classes, seg.names);
  assert.equal(clf.split.train + clf.split.test, 180);
  assert.equal(clf.split.test, 45);
  assert.equal(clf.test.accuracy, 1);
  assert.equal(clf.test.macroF1, 1);
  assert.deepEqual(clf.test.confusion, [[15, 0, 0], [0, 15, 0], [0, 0, 15]]);
  assert.equal(clf.tuning.curve.length, 6);
});

function assertFinite(v: unknown, path = "$"): void {
  if (typeof v === "number") assert.ok(Number.isFinite(v), `${path} = ${v}`);
  else if (Array.isArray(v)) v.forEach((x, i) => assertFinite(x, `${path}[${i}]`));
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) assertFinite(x, `${path}.${k}`);
  }
}

const FWD = forwardCustomers(700, 5);

Deno.test("fitLoyaltyModel: evaluation is complete, finite and beats the majority baseline", () => {
  const { model, evaluation: e, heldOut } = fitLoyaltyModel(
    FWD.table,
    FWD.labels,
    FWD.persistence,
    CONFIG,
  );
  assertFinite(e);
  assert.equal(e.split.test, Math.round(700 * 0.25));
  assert.equal(e.split.train + e.split.test, 700);
  assert.deepEqual(
    e.classBalance.all,
    [0, 1, 2].map((c) => FWD.labels.filter((l) => l === c).length),
  );
  assert.equal(e.tuning.curve.length, 6);
  assert.ok(CONFIG.knn.kGrid.includes(e.chosen.k));
  assert.equal(model.knn.k, e.chosen.k);
  assert.equal(model.knn.weighting, e.chosen.weighting);
  const best = Math.max(...e.tuning.curve.map((p) => p.meanMacroF1));
  assert.ok(Math.abs(e.tuning.best.meanMacroF1 - best) < 1e-6);
  assert.equal(e.test.perClass.length, 3);
  assert.deepEqual(e.test.perClass.map((c) => c.name), ["lapsed", "occasional", "loyal"]);
  assert.ok(e.test.aucTop !== null && e.test.aucTop > 0.7, `AUC ${e.test.aucTop}`);
  assert.equal(e.baselines.majority.aucTop, 0.5);
  assert.ok(e.test.macroF1 > e.baselines.majority.macroF1);
  assert.ok(e.baselines.logistic.aucTop! > 0.7);
  assert.equal(e.bands.length, 5);
  assert.equal(e.bands.reduce((s, b) => s + b.customers, 0), e.split.test);
  assert.equal(e.gains.length, 10);
  assert.equal(e.gains[9].captured, 1);
  assert.equal(heldOut.length, e.split.test);
  assert.equal(typeof e.topRateRisesWithBand, "boolean");
});

Deno.test("fitLoyaltyModel: byte-identical JSON for the same inputs", () => {
  const a = fitLoyaltyModel(FWD.table, FWD.labels, FWD.persistence, CONFIG);
  const b = fitLoyaltyModel(FWD.table, FWD.labels, FWD.persistence, CONFIG);
  assert.equal(JSON.stringify(a), JSON.stringify(b));
});

Deno.test("loyalty model: save → JSON → load gives the same predictions as the evaluation", () => {
  const { model, heldOut } = fitLoyaltyModel(FWD.table, FWD.labels, FWD.persistence, CONFIG);
  const loaded: LoyaltyModel = JSON.parse(JSON.stringify(model));
  assert.deepEqual(loaded, model); // plain data only
  const cols = FWD.table.columns as Record<string, number[]>;
  const row = (id: string) => {
    const i = FWD.table.customer_id.indexOf(id);
    return Object.fromEntries(model.features.map((f) => [f, cols[f][i]]));
  };
  const inputs = heldOut.map((h) => row(h.customer_id));
  const before = scoreMany(model, inputs);
  const after = scoreMany(loaded, inputs);
  assert.deepEqual(after, before);
  after.forEach((r, i) => {
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.score, heldOut[i].score);
    assert.equal(r.band, heldOut[i].band);
    assert.equal(r.levelIndex, heldOut[i].predicted);
    assert.ok(Math.abs(r.probabilities.loyal - heldOut[i].pTop) < 1e-6);
  });
});

Deno.test("no leakage: final scaler fitted on training customers only", () => {
  const { model, evaluation: e } = fitLoyaltyModel(
    FWD.table,
    FWD.labels,
    FWD.persistence,
    CONFIG,
  );
  const split = stratifiedSplit(FWD.labels, CONFIG.knn.testShare, e.split.seed);
  const cols = FWD.table.columns as Record<string, number[]>;
  assert.deepEqual(
    model.scaler,
    fitScaler(cols, CONFIG.features, CONFIG.logFeatures, split.train),
  );
  assert.notDeepEqual(model.scaler, fitScaler(cols, CONFIG.features, CONFIG.logFeatures));
  const testIds = new Set(split.test.map((i) => FWD.table.customer_id[i]));
  assert.equal(model.customerIds.length, split.train.length);
  assert.ok(model.customerIds.every((id) => !testIds.has(id)));
});

Deno.test("no leakage: each CV fold's scaler is fitted without its validation rows", () => {
  const cols = FWD.table.columns as Record<string, number[]>;
  const rows = Array.from({ length: 500 }, (_, i) => i);
  const seen: { train: number[]; validation: number[]; scaler: Scaler }[] = [];
  tuneKnn(cols, rows, FWD.labels, 3, {
    features: CONFIG.features,
    logFeatures: CONFIG.logFeatures,
    kGrid: [3],
    weights: ["uniform"],
    folds: 4,
    seed: 1,
    inspect: (f) => seen.push(f),
  });
  assert.equal(seen.length, 4);
  const covered = new Set<number>();
  for (const f of seen) {
    const v = new Set(f.validation);
    assert.ok(f.train.every((r) => !v.has(r)));
    f.validation.forEach((r) => covered.add(r));
    assert.deepEqual(f.scaler, fitScaler(cols, CONFIG.features, CONFIG.logFeatures, f.train));
    assert.notDeepEqual(
      f.scaler,
      fitScaler(cols, CONFIG.features, CONFIG.logFeatures, [...f.train, ...f.validation]),
    );
  }
  assert.equal(covered.size, 500);
});

Deno.test("fitLoyaltyModel rejects bad labels", () => {
  assert.throws(
    () => fitLoyaltyModel(FWD.table, FWD.labels.slice(1), FWD.persistence, CONFIG),
    /one entry per customer/,
  );
  const bad = [...FWD.labels];
  bad[3] = 5;
  assert.throws(() => fitLoyaltyModel(FWD.table, bad, FWD.persistence, CONFIG), /labels\[3\]/);
});

Deno.test("roundDeep rounds non-integers to 6 decimals and keeps structure", () => {
  assert.deepEqual(roundDeep({ a: 1 / 3, b: [2, -1e-9, 1.23456789e10], c: "x", d: null }), {
    a: 0.333333,
    b: [2, 0, 1.23456789e10],
    c: "x",
    d: null,
  });
});
