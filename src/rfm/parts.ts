/**
 * The customer metrics of clean lines that come part by part (the data stage in parts, with
 * `build --until rfm`): the table of `customerMetrics`, to the bit, while only a fraction of the
 * lines' columns is held.
 *
 * Each part gives its share as it comes: per customer, the first and last day and the latest line
 * (time, source row, country) of the part; the part's distinct (customer, invoice) pairs; and each
 * line's customer and value (12 bytes a line, where the whole table holds six columns). At the
 * end the shares are put together: the first and last days are the least and greatest, the latest
 * line is the latest of the parts' latest (ties: the later source row, then the later part, as in
 * the whole table, where the later line wins), the frequency is the count of distinct pairs over
 * all parts. Those are exact whatever the order. The sum of the values is not (a sum of floats
 * depends on its order), so it is summed once, at the end, over the values of all parts in one
 * piece, in line order: the order in which the whole table sums them.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { CustomerMetricsInParts } from "./parts.ts";
 * import { analysisDateAfter, customerMetrics } from "./rfm.ts";
 * import { ok } from "node:assert/strict";
 * const lines = pl.DataFrame({
 *   customer_id: ["a", "b", "a", "a"],
 *   invoice: ["1", "2", "3", "1"],
 *   line_value: [0.1, 5, 0.2, 0.7],
 *   timestamp: pl.Series([1e12, 2e12, 3e12, 1e12]).cast(pl.Datetime("us", "UTC")),
 *   country: ["UK", "FR", "DE", "UK"],
 *   source_row: [1, 2, 1, 2],
 * });
 * const parts = new CustomerMetricsInParts(null);
 * parts.add(lines.slice(0, 2));
 * parts.add(lines.slice(2, 2));
 * const asOf = analysisDateAfter(parts.dates.last); // the default analysis date
 * ok(parts.metrics(asOf).frameEqual(customerMetrics(lines, asOf), true));
 * ```
 *
 * @module
 */
import pl from "nodejs-polars";
import { perCustomer } from "../lib/per_customer.ts";
import { isoDay } from "../lib/time.ts";
import {
  analysisDateAfter,
  CUSTOMER_LINE_COLUMNS,
  dayOf,
  finishedMetrics,
  isBefore,
  type PurchaseDates,
  purchaseDates,
} from "./rfm.ts";

/** {@link customerMetrics}, part by part (see the module documentation). */
export class CustomerMetricsInParts {
  /** The configured analysis date's day, or null for the default (the day after the last). */
  readonly #asOfDay: number | null;
  readonly #values: pl.DataFrame[] = [];
  readonly #pairs: pl.DataFrame[] = [];
  readonly #latest: pl.DataFrame[] = [];
  #dates: PurchaseDates = { lines: 0, before: 0, first: null, last: null };

  /**
   * @param analysisDate the configured analysis date (ISO), or null for the default: the day
   *   after the last clean purchase, which every line with a time is before
   */
  constructor(analysisDate: string | null) {
    this.#asOfDay = analysisDate === null ? null : isoDay(analysisDate);
  }

  /** Takes a part's clean lines (with the columns of `CUSTOMER_LINE_COLUMNS`), in line order. */
  add(kept: pl.DataFrame): void {
    const lines = kept.select(...CUSTOMER_LINE_COLUMNS);
    const ts = pl.col("timestamp");
    const part = purchaseDates(lines, this.#asOfDay);
    const d = this.#dates;
    const pick = (f: (a: number, b: number) => number, a: number | null, b: number | null) =>
      a === null ? b : b === null ? a : f(a, b);
    this.#dates = {
      lines: d.lines + part.lines,
      before: d.before + part.before,
      first: pick(Math.min, d.first, part.first),
      last: pick(Math.max, d.last, part.last),
    };
    // The lines that count (as `linesBefore` gives them), customers as dictionary codes (as
    // `perCustomer` groups them).
    const used = (part.before === part.lines ? lines : lines.filter(isBefore(this.#asOfDay)))
      .withColumns(pl.col("customer_id").cast(pl.Categorical));
    this.#values.push(used.select("customer_id", "line_value"));
    this.#pairs.push(used.select("customer_id", "invoice").unique());
    // In time and source row order (ties: line order), a customer's last line is the latest;
    // the grouping keeps each group's order.
    this.#latest.push(
      used.sort({ by: ["timestamp", "source_row"], maintainOrder: true })
        .withColumns(dayOf(ts).alias("__day"))
        .groupBy("customer_id").agg(
          pl.col("__day").max().alias("__last"),
          pl.col("__day").min().alias("__first"),
          ...["country", "timestamp", "source_row"].map((c) => pl.col(c).last().alias(`__${c}`)),
        ).withColumns(pl.lit(this.#latest.length).cast(pl.Int32).alias("__part")),
    );
  }

  /** The clean lines' times so far, to check an analysis date against. */
  get dates(): PurchaseDates {
    return { ...this.#dates };
  }

  /**
   * The customer metrics of every part given (`customerMetrics` of all their lines).
   *
   * @param asOf the analysis date: the configured one, or the default from {@link dates}
   * @throws {Error} when no part was given, or when `asOf` is not the date the parts were
   *   counted for
   */
  metrics(asOf: string): pl.DataFrame {
    if (this.#values.length === 0) throw new Error("customer metrics in parts: no part given");
    const asOfDay = isoDay(asOf);
    const expected = this.#asOfDay ??
      (this.#dates.last === null ? null : isoDay(analysisDateAfter(this.#dates.last)));
    if (asOfDay !== expected) {
      throw new Error(`customer metrics in parts: counted for another analysis date than ${asOf}`);
    }
    const all = (frames: pl.DataFrame[]) => pl.concat(frames, { how: "vertical" });
    // (in one piece: the values are summed in line order, as in the whole table)
    const monetary = perCustomer(
      all(this.#values).rechunk(),
      pl.col("line_value").sum().alias("monetary"),
    );
    const frequency = perCustomer(all(this.#pairs).unique(), pl.len().alias("frequency"));
    const latest = perCustomer(
      all(this.#latest),
      pl.col("__last").max(),
      pl.col("__first").min(),
      pl.col("__country").sortBy([pl.col("__timestamp"), pl.col("__source_row"), pl.col("__part")])
        .last().alias("country"),
    );
    // The three tables hold the same customers, in the same order (by customer id).
    const ids = latest.select("customer_id");
    for (const other of [monetary, frequency]) {
      if (!ids.frameEqual(other.select("customer_id"), true)) {
        throw new Error("customer metrics in parts: the parts' customers do not line up");
      }
    }
    return finishedMetrics(
      latest.withColumns(monetary.getColumn("monetary"), frequency.getColumn("frequency")),
      asOfDay,
    );
  }
}
