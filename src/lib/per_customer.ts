/**
 * Aggregates per customer, the one grouping the customer metrics and the look-back features share.
 *
 * @module
 */
import pl from "nodejs-polars";

/**
 * Aggregates of `df` per customer, sorted by customer id (as text). The rows are grouped on the
 * ids' dictionary codes, not on the text: at ten million lines the grouping needs about half the
 * memory and less time.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { perCustomer } from "./per_customer.ts";
 * import { deepEqual } from "node:assert/strict";
 * const df = pl.DataFrame({ customer_id: ["b", "a", "b", null], v: [1, 2, 3, 4] });
 * const g = perCustomer(df, pl.col("v").sum().alias("v"));
 * deepEqual(g.getColumn("customer_id").toArray(), [null, "a", "b"]);
 * deepEqual(g.getColumn("v").toArray(), [4, 2, 4]);
 * deepEqual(g.getColumn("customer_id").dtype.variant, "String");
 * ```
 */
export function perCustomer(df: pl.DataFrame, ...aggs: pl.Expr[]): pl.DataFrame {
  return df.withColumns(pl.col("customer_id").cast(pl.Categorical)).groupBy("customer_id")
    .agg(...aggs).withColumns(pl.col("customer_id").cast(pl.Utf8)).sort("customer_id");
}
