/**
 * A small fitted format-2 loyalty model for the scoring tests: look-back capping, weighted
 * distance, collapsed duplicates with counts, calibration and decision weights.
 */
import { collapseDuplicates, fitKnn } from "../../src/score/neighbours.ts";
import { fitScaler, transform } from "../../src/score/scaler.ts";
import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale } from "../../src/score/score.ts";
import { createRng } from "../../src/model/random.ts";

/** Raw values by feature name. */
export type Row = Record<string, number>;

/** The look-back features of the v2 fixture. */
export const V2_FEATURES = ["recency_window_days", "invoices_90d", "value_365d"];

/**
 * A small fitted format-2 model: 300 training customers on a coarse grid of values (so many are
 * exact duplicates and collapse into points with counts), look-back 180 days, feature weights,
 * distance weighting with an offset, an isotonic-style calibration and decision weights.
 */
export function v2Model(): { model: LoyaltyModel; rows: Row[] } {
  const rng = createRng(5);
  const rows: Row[] = Array.from({ length: 300 }, () => {
    const invoices = rng.int(5);
    return {
      recency_window_days: [3, 10, 30, 60, 120, 180][rng.int(6)],
      invoices_90d: invoices,
      value_365d: [0, 50, 120, 400, 1500][Math.min(4, invoices + rng.int(2))],
    };
  });
  const labels = rows.map((r) =>
    r.recency_window_days <= 30 && r.invoices_90d >= 2
      ? 2
      : r.recency_window_days <= 120 || rng.next() < 0.15
      ? 1
      : 0
  );
  const columns = Object.fromEntries(V2_FEATURES.map((f) => [f, rows.map((r) => r[f])]));
  const scaler = fitScaler(columns, V2_FEATURES, ["invoices_90d", "value_365d"]);
  const collapsed = collapseDuplicates(transform(scaler, columns), labels, 3);
  const model: LoyaltyModel = {
    kind: "rfm-loyalty-knn",
    version: 2,
    features: [...V2_FEATURES],
    lookbackDays: 180,
    scaler,
    knn: fitKnn(collapsed.points, collapsed.labels, {
      k: 25,
      weighting: "distance",
      nClasses: 3,
      counts: collapsed.counts,
      featureWeights: [2, 1, 0.5],
      offset: 0.05,
    }),
    customerIds: collapsed.firstRow.map((i) => `T${i}`),
    levels: ["lapsed", "occasional", "loyal"],
    cutoff: "2011-06-01",
    windowEnd: "2011-12-01",
    score: makeScoreScale(),
    limits: { ...DEFAULT_LIMITS },
    calibration: {
      method: "isotonic",
      atLeast: [{ x: [0, 0.4, 1], y: [0.1, 0.7, 0.95] }, { x: [0, 0.3, 0.8], y: [0, 0.2, 0.9] }],
    },
    decisionWeights: [1, 1.6, 2.2],
  };
  return { model, rows };
}

/** A query of the v2 fixture: some beyond the look-back, some exact training profiles. */
export function v2Queries(rows: Row[], n: number): Row[] {
  const rng = createRng(9);
  return Array.from({ length: n }, (_, i) =>
    i % 3 === 0 ? { ...rows[rng.int(rows.length)] } : {
      recency_window_days: rng.int(400), // beyond 180: read as 180 by the model
      invoices_90d: rng.int(8),
      value_365d: Math.round(rng.next() * 3000 * 100) / 100,
    });
}
