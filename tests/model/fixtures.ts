/** Hand-made customer tables shared by the model tests (not a test file itself). */
import assert from "node:assert/strict";
import { DEFAULT_MODEL, type ModelConfig } from "../../src/config/dataset.ts";
import type { CustomerFeatures } from "../../src/model/customer_table.ts";
import { createRng, normal, shuffle } from "../../src/model/random.ts";

/** A small, fast model configuration. */
export const CONFIG: ModelConfig = {
  ...DEFAULT_MODEL,
  seed: 99,
  kmeans: { ...DEFAULT_MODEL.kmeans, kMin: 2, kMax: 5, restarts: 3, stabilitySeeds: 3 },
  forward: { ...DEFAULT_MODEL.forward, cutoff: "2011-06-01", windowEnd: "2011-12-01" },
  knn: { kGrid: [1, 5, 15], weights: ["uniform", "distance"], folds: 3, testShare: 0.25 },
};

/** Builds a customer table from per-customer recency, frequency, monetary and tenure. */
export function table(
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
export function plantedCustomers(nPer: number, seed: number) {
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
export function forwardCustomers(n: number, seed: number) {
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

/** A small, fast configuration of the loyalty model (two look-back features, few k). */
export const LOYALTY_CONFIG: ModelConfig = {
  ...CONFIG,
  knn: { ...CONFIG.knn, folds: 3 },
  loyalty: {
    ...DEFAULT_MODEL.loyalty,
    features: ["recency_window_days", "invoices_180d", "value_180d", "activity_trend"],
    lookbackDays: 180,
    kGrid: [5, 15, 40],
    weightGrid: [0, 1, 2],
    weightPasses: 1,
    tuningRows: 400,
    bootstrap: 50,
    gbm: { ...DEFAULT_MODEL.loyalty.gbm, rounds: 10, minLeaf: 5 },
  },
};

/**
 * Snapshots of customers with a latent activity (the level after each cutoff depends on it,
 * noisily): `n` customers at the latest cutoff, the first 60 % of them also at an earlier one.
 * Look-back features are coarse (whole numbers), so duplicates occur.
 */
export function forwardSnapshots(n: number, seed: number) {
  const rng = createRng(seed);
  const ids = Array.from({ length: n }, (_, i) => `C${String(i).padStart(5, "0")}`);
  const activity = ids.map(() => normal(rng));
  const snapshot = (cutoff: string, count: number) => {
    const cols = {
      recency_window_days: [] as number[],
      invoices_180d: [] as number[],
      value_180d: [] as number[],
      activity_trend: [] as number[],
    };
    const labels: number[] = [];
    const persistence: number[] = [];
    for (let i = 0; i < count; i++) {
      const a = activity[i] + 0.3 * normal(rng);
      const inv = Math.max(0, Math.round(Math.exp(0.5 + 0.9 * a)) - 1);
      cols.invoices_180d.push(inv);
      cols.recency_window_days.push(inv === 0 ? 180 : Math.min(180, Math.round(Math.exp(3.5 - a))));
      cols.value_180d.push(inv * 20);
      cols.activity_trend.push(inv === 0 ? 0 : Math.round(Math.tanh(a) * 2) / 2);
      const latent = a + 0.6 * normal(rng);
      labels.push(latent < -0.2 ? 0 : latent < 0.9 ? 1 : 2);
      persistence.push(inv === 0 ? 0 : inv >= 4 ? 2 : 1);
    }
    return {
      cutoff,
      features: { customer_id: ids.slice(0, count), columns: cols },
      labels,
      persistence,
      bgnbd: {
        x: cols.invoices_180d.map((v) => v),
        tx: cols.recency_window_days.map((r) => (180 - r) / 7),
        T: cols.recency_window_days.map(() => 180 / 7),
      },
    };
  };
  return {
    snapshots: [snapshot("2011-06-01", n), snapshot("2011-03-01", Math.round(0.6 * n))],
    horizonDays: 183,
    lookbackDays: 180,
  };
}

/** Every number anywhere in the value is finite. */
export function assertFinite(v: unknown, path = "$"): void {
  if (typeof v === "number") assert.ok(Number.isFinite(v), `${path} = ${v}`);
  else if (Array.isArray(v)) v.forEach((x, i) => assertFinite(x, `${path}[${i}]`));
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) assertFinite(x, `${path}.${k}`);
  }
}
