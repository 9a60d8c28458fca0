/**
 * The held-out predictions as a spreadsheet-safe CSV (`<reports>/heldout.csv`): one row per
 * held-out customer, with the true level and every model's predicted level and probabilities, so
 * that each held-out figure of `metrics.json` (AUC, macro F1, Brier score, gains, the paired
 * bootstrap) can be recomputed by anyone, in any tool. It describes individual customers, so like
 * `customers.csv` it is an output, never committed.
 *
 * @module
 */
import type { HeldOutTable } from "../model/loyalty.ts";
import { csvField } from "../lib/csv.ts";

/**
 * The held-out table as CSV text. Columns: `customer_id`, `actual_level`; then the KNN's
 * `knn_level`, `knn_p_<level>` for each level, `score` and `band`; then for every other model
 * `<model>_level`, `<model>_p_<lowest level>` and `<model>_p_<top level>` (the baselines keep
 * only the two probabilities the comparisons use). Probabilities as rounded in the table.
 *
 * @example
 * ```ts
 * import { heldOutCsv } from "./heldout.ts";
 * import { equal } from "node:assert/strict";
 * const csv = heldOutCsv({
 *   customer_id: ["=A1", "B"],
 *   actual: [2, 0],
 *   models: {
 *     knn: { predicted: [2, 0], pLowest: [0.1, 0.7], pTop: [0.6, 0.1] },
 *     majority: { predicted: [0, 0], pLowest: [1, 1], pTop: [0, 0] },
 *   },
 *   pMiddle: [0.3, 0.2],
 *   score: [775, 360],
 *   band: ["A", "D"],
 * }, ["lapsed", "occasional", "loyal"]);
 * equal(
 *   csv,
 *   "customer_id,actual_level,knn_level,knn_p_lapsed,knn_p_occasional,knn_p_loyal,score,band," +
 *     "majority_level,majority_p_lapsed,majority_p_loyal\n" +
 *     `"'=A1",loyal,loyal,0.1,0.3,0.6,775,A,lapsed,1,0\n` +
 *     "B,lapsed,lapsed,0.7,0.2,0.1,360,D,lapsed,1,0\n",
 * );
 * ```
 *
 * @param table the held-out predictions of the loyalty fit
 * @param levels the level names, lowest first (three levels: the KNN's middle probability is the
 *   table's `pMiddle`)
 * @returns the CSV text, one header line and one line per held-out customer
 * @throws {Error} when the table's columns differ in length or a level index is out of range
 */
export function heldOutCsv(table: HeldOutTable, levels: readonly string[]): string {
  if (levels.length !== 3) {
    throw new Error(`held-out table: expected 3 levels, got ${levels.length}`);
  }
  const n = table.customer_id.length;
  const { knn, ...others } = table.models;
  if (!knn) throw new Error("held-out table: no knn predictions");
  const columns: [string, unknown[]][] = [
    ["actual", table.actual],
    ["pMiddle", table.pMiddle],
    ["score", table.score],
    ["band", table.band],
    ...Object.entries(table.models).flatMap(([m, p]) =>
      [["predicted", p.predicted], ["pLowest", p.pLowest], ["pTop", p.pTop]].map((
        [k, v],
      ) => [`${m}.${k}`, v as unknown[]] as [string, unknown[]])
    ),
  ];
  for (const [name, values] of columns) {
    if (values.length !== n) {
      throw new Error(`held-out table: ${name} has ${values.length} rows, customer_id ${n}`);
    }
  }
  const level = (i: number) => {
    const name = levels[i];
    if (name === undefined) throw new Error(`held-out table: level index ${i} out of range`);
    return csvField(name);
  };
  const [lowest, middle, top] = levels;
  const header = [
    "customer_id",
    "actual_level",
    "knn_level",
    `knn_p_${lowest}`,
    `knn_p_${middle}`,
    `knn_p_${top}`,
    "score",
    "band",
    ...Object.keys(others).flatMap((m) => [`${m}_level`, `${m}_p_${lowest}`, `${m}_p_${top}`]),
  ];
  const lines = [header.map((h) => csvField(h)).join(",")];
  for (let i = 0; i < n; i++) {
    const cells = [
      csvField(table.customer_id[i]),
      level(table.actual[i]),
      level(knn.predicted[i]),
      String(knn.pLowest[i]),
      String(table.pMiddle[i]),
      String(knn.pTop[i]),
      String(table.score[i]),
      csvField(table.band[i]),
      ...Object.values(others).flatMap((p) => [
        level(p.predicted[i]),
        String(p.pLowest[i]),
        String(p.pTop[i]),
      ]),
    ];
    lines.push(cells.join(","));
  }
  return lines.join("\n") + "\n";
}
