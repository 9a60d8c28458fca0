import assert from "node:assert/strict";
import type { Scaler } from "../../src/score/scaler.ts";
import { fitScaler } from "../../src/score/scaler.ts";
import { deriveSeed } from "../../src/model/random.ts";
import { KNN_RULE, tuneKnn, tuningOptions } from "../../src/model/tuning.ts";
import { CONFIG, forwardCustomers } from "./fixtures.ts";

const FWD = forwardCustomers(600, 5);

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

Deno.test("tuneKnn: weighting-major curve; ties go to the larger k, then uniform", () => {
  // two far-apart classes: every configuration is perfect, so only the tie rule decides
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 100, 101, 102, 103, 104, 105, 106, 107];
  const labels = x.map((v) => (v < 50 ? 0 : 1));
  const t = tuneKnn({ x }, x.map((_, i) => i), labels, 2, {
    features: ["x"],
    logFeatures: [],
    kGrid: [3, 1, 5],
    weights: ["distance", "uniform"],
    folds: 4,
    seed: 2,
  });
  assert.deepEqual(t.curve.map((p) => `${p.weighting[0]}${p.k}`), [
    "d3",
    "d1",
    "d5",
    "u3",
    "u1",
    "u5",
  ]);
  for (const p of t.curve) {
    assert.equal(p.meanMacroF1, 1);
    assert.equal(p.sdMacroF1, 0);
    assert.equal(p.meanAccuracy, 1);
    assert.deepEqual(p.foldMacroF1, [1, 1, 1, 1]);
  }
  assert.deepEqual(t.best, { k: 5, weighting: "uniform", meanMacroF1: 1 });
  assert.equal(t.rule, KNN_RULE);
});

Deno.test("tuneKnn: the best mean macro F1 wins over the tie rule", () => {
  // class 1 is a single tight pair inside class 0's range: k = 1 finds it, larger k outvote it
  const x = [0, 10, 20, 30, 40, 50, 60, 70, 35.1, 35.2, 35.3, 35.4];
  const labels = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
  const t = tuneKnn({ x }, x.map((_, i) => i), labels, 2, {
    features: ["x"],
    logFeatures: [],
    kGrid: [1, 7],
    weights: ["uniform"],
    folds: 4,
    seed: 3,
  });
  const [k1, k7] = t.curve;
  assert.ok(k1.meanMacroF1 > k7.meanMacroF1 + 0.1, `${k1.meanMacroF1} vs ${k7.meanMacroF1}`);
  assert.equal(t.best.k, 1);
});

Deno.test("tuningOptions: the configuration's grid with a CV seed derived from the stage", () => {
  const o = tuningOptions(CONFIG, 1234);
  assert.deepEqual(o, {
    features: CONFIG.features,
    logFeatures: CONFIG.logFeatures,
    kGrid: [1, 5, 15],
    weights: ["uniform", "distance"],
    folds: 3,
    seed: deriveSeed(1234, "cv"),
  });
  assert.notEqual(o.seed, 1234);
});

Deno.test("tuneKnn's curve is bit-for-bit the one of a vote per k (exact matches included)", async () => {
  // Digests recorded with the implementation that called `vote` on the first k neighbours for
  // every k; the prefix sums over the neighbours must give the same F1 to the last bit. The
  // second table has integer features only, so many validation rows match training rows exactly
  // (the 1/d rule's exact-match case).
  const { createHash } = await import("node:crypto");
  const { createRng } = await import("../../src/model/random.ts");
  const digest = (x: unknown) => createHash("sha256").update(JSON.stringify(x)).digest("hex");
  const rng = createRng(11);
  const n = 300;
  const a = Array.from({ length: n }, () => rng.int(5));
  const b = Array.from({ length: n }, () => rng.int(4) * 2.5);
  const c = Array.from({ length: n }, () => rng.next() * 100);
  const labels = a.map((v, i) => (v + b[i] > 7 ? 2 : c[i] > 50 ? 1 : rng.int(2)));
  const rows = Array.from({ length: n }, (_, i) => i);
  const kGrid = [1, 2, 3, 5, 9, 15];
  const weights = ["uniform", "distance"] as const;
  const t = tuneKnn({ a, b, c }, rows, labels, 3, {
    features: ["a", "b", "c"],
    logFeatures: ["c"],
    kGrid,
    weights: [...weights],
    folds: 3,
    seed: 5,
  });
  const t2 = tuneKnn({ a, b }, rows, labels, 3, {
    features: ["a", "b"],
    logFeatures: [],
    kGrid,
    weights: [...weights],
    folds: 4,
    seed: 6,
  });
  assert.equal(digest(t), "a0f1312900cc648d2cf86aa6a29242adc72eecbf9a178ed1a8865edf9e045a1e");
  assert.equal(digest(t2), "590fbde79dcc47957b196c566f76ac6048f93ee444ef9a269c70bd723b1c2181");
});
