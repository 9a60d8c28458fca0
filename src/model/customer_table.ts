/**
 * The customer table as the models read it: customer ids, numeric feature columns and the RFM
 * segment, with the checks every model runs before it uses a column.
 *
 * @module
 */

/** A customer table: ids plus columns (numeric features; `rfm_segment` may be a string column). */
export interface CustomerFeatures {
  /** Customer id per row. */
  customer_id: string[];
  /** Columns by name: the registry's features (`FEATURE_NAMES` of `config/features.ts`), … */
  columns: Readonly<Record<string, ArrayLike<number> | readonly string[]>>;
  /** RFM segment per row (alternatively `columns.rfm_segment`). */
  rfm_segment?: readonly string[];
}

/**
 * One numeric column, checked: present, one value per customer, every value a finite number.
 *
 * @example
 * ```ts
 * import { numericColumn } from "./customer_table.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 * const table = { customer_id: ["a", "b"], columns: { frequency: [1, 3], bad: [1, NaN] } };
 * deepEqual(numericColumn(table, "frequency"), [1, 3]);
 * throws(() => numericColumn(table, "bad"), /row 1 is not a finite number/);
 * throws(() => numericColumn(table, "monetary"), /no column "monetary"/);
 * ```
 *
 * @param table customer table
 * @param name column name
 * @throws {Error} on a missing column, a wrong length or a non-finite value
 */
export function numericColumn(table: CustomerFeatures, name: string): ArrayLike<number> {
  const c = table.columns[name];
  if (c === undefined) throw new Error(`customer table has no column "${name}"`);
  if (c.length !== table.customer_id.length) {
    throw new Error(`column "${name}" has ${c.length} rows, expected ${table.customer_id.length}`);
  }
  for (let i = 0; i < c.length; i++) {
    if (typeof c[i] !== "number" || !Number.isFinite(c[i] as number)) {
      throw new Error(`column "${name}" row ${i} is not a finite number`);
    }
  }
  return c as ArrayLike<number>;
}

/**
 * The checked numeric columns of some features, by name ({@link numericColumn}).
 *
 * @example
 * ```ts
 * import { featureColumns } from "./customer_table.ts";
 * import { deepEqual } from "node:assert/strict";
 * const table = { customer_id: ["a"], columns: { frequency: [2], monetary: [9], tenure_days: [4] } };
 * deepEqual(featureColumns(table, ["monetary", "frequency"]), { monetary: [9], frequency: [2] });
 * ```
 *
 * @param table customer table
 * @param features feature names
 */
export function featureColumns(
  table: CustomerFeatures,
  features: readonly string[],
): Record<string, ArrayLike<number>> {
  const cols: Record<string, ArrayLike<number>> = {};
  for (const f of features) cols[f] = numericColumn(table, f);
  return cols;
}

/**
 * The RFM segment per customer: `table.rfm_segment`, else `table.columns.rfm_segment`, else null.
 *
 * @example
 * ```ts
 * import { rfmSegments } from "./customer_table.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * deepEqual(rfmSegments({ customer_id: ["a"], columns: {}, rfm_segment: ["Lost"] }), ["Lost"]);
 * equal(rfmSegments({ customer_id: ["a"], columns: {} }), null);
 * ```
 *
 * @param table customer table
 * @throws {Error} when the segments are not one per customer
 */
export function rfmSegments(table: CustomerFeatures): readonly string[] | null {
  const s = table.rfm_segment ?? (table.columns.rfm_segment as readonly string[] | undefined);
  if (!s) return null;
  if (s.length !== table.customer_id.length) throw new Error("rfm_segment length mismatch");
  return s;
}
