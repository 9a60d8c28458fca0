/**
 * `results.json`: every figure the report states, and nothing that varies between runs (no
 * timestamps, timings or absolute paths). It is committed, and `deno task verify` compares a
 * fresh rebuild with it.
 *
 * @module
 */
import type { CleaningReport } from "../clean/report.ts";

/** Drops keys whose values are prose or presentation, keeping the figures. */
function figures(value: unknown, dropKeys: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => figures(v, dropKeys));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (dropKeys.has(k) || v === undefined) continue;
    out[k] = figures(v, dropKeys);
  }
  return out;
}

/** Prose fields left out of results.json (they are documentation, not figures). */
const PROSE = new Set([
  "description",
  "action",
  "note",
  "claim",
  "text",
  "rule",
  "ordering",
  "scoreFormula",
]);

/**
 * Builds the results from the stage outputs.
 *
 * @param cleaning the cleaning report, or null when the data came as a customer table (cleaned
 *   where it was made)
 * @param rfm the RFM summary (`rfm.json`)
 * @param metrics the model metrics (`metrics.json`)
 */
export function buildResults(
  cleaning: CleaningReport | null,
  rfm: Record<string, unknown>,
  metrics: Record<string, unknown>,
): Record<string, unknown> {
  const { segmentRules: _rules, ...rfmFigures } = rfm;
  return figures({
    dataset: rfm.dataset,
    cleaning: cleaning === null
      ? { skipped: "the data came as a customer table, cleaned where it was made" }
      : {
        files: cleaning.files,
        total: cleaning.total,
        rulesApplied: cleaning.rules.map((r) => ({ name: r.code, applied: r.applied })),
        extremeValueBounds: cleaning.extremeValueBounds,
        unmatchedReturns: cleaning.unmatchedReturns,
        cancelledOrders: cleaning.cancelledOrders,
      },
    rfm: rfmFigures,
    models: metrics,
  }, PROSE) as Record<string, unknown>;
}
