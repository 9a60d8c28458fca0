/**
 * Tests of the customer metrics gathered part by part (src/rfm/parts.ts): the table of
 * `customerMetrics` to the bit, whatever the cut into parts, with the cases where a careless merge
 * goes wrong (a sum whose last digits depend on its order, an invoice in two parts, the latest
 * line's country across parts, missing customers and times, an analysis date inside the data);
 * the purchase dates it counts; and a date it was not counted for, refused.
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { CustomerMetricsInParts } from "../../src/rfm/parts.ts";
import { analysisDateAfter, customerMetrics } from "../../src/rfm/rfm.ts";

/** Clean lines: each row [customer, invoice, value, ISO time or null, country, source row]. */
function lines(rows: [string | null, string, number, string | null, string, number][]) {
  return pl.DataFrame({
    customer_id: pl.Series("customer_id", rows.map((r) => r[0])),
    invoice: pl.Series("invoice", rows.map((r) => r[1])),
    line_value: pl.Series("line_value", rows.map((r) => r[2])),
    timestamp: pl.Series(
      "timestamp",
      rows.map((r) => (r[3] ? Date.parse(r[3] + "Z") * 1000 : null)),
    ).cast(pl.Int64).cast(pl.Datetime("us", "UTC")),
    country: pl.Series("country", rows.map((r) => r[4])).cast(pl.Categorical),
    source_row: pl.Series("source_row", rows.map((r) => r[5])),
  });
}

const ROWS = lines([
  // a: values whose float sum depends on the order; invoice 1 in several parts
  ["a", "1", 0.1, "2011-01-03T10:00:00", "UK", 1],
  ["a", "1", 0.2, "2011-01-03T10:00:00", "UK", 2],
  ["b", "2", 5, "2011-01-04T09:00:00", "FR", 3],
  ["a", "3", 0.3, "2011-01-05T10:00:00", "DE", 4],
  ["a", "1", 5, "2011-01-03T10:00:00", "UK", 5],
  ["a", "4", 1.5, "2011-01-02T10:00:00", "ES", 6],
  // b: the latest line twice at the same time; the later source row wins, across parts
  ["b", "5", 1, "2011-01-07T09:00:00", "NL", 9],
  ["b", "5", 2, "2011-01-07T09:00:00", "BE", 7],
  // c: a line without a time (left out of the metrics), and lines after 2011-01-06
  ["c", "6", 3, null, "IT", 10],
  ["c", "7", 4, "2011-01-08T00:00:00", "IT", 11],
  ["c", "8", 5, "2011-01-01T00:00:00", "PT", 12],
  // no customer: a group of its own, as in the whole table
  [null, "9", 6, "2011-01-02T00:00:00", "UK", 13],
]);

/** `ROWS` cut at `cuts` (positions), gathered part by part for `analysisDate`. */
function inParts(cuts: number[], analysisDate: string | null): CustomerMetricsInParts {
  const parts = new CustomerMetricsInParts(analysisDate);
  const at = [0, ...cuts, ROWS.height];
  for (let i = 0; i + 1 < at.length; i++) {
    parts.add(ROWS.slice(at[i], at[i + 1] - at[i]));
  }
  return parts;
}

Deno.test("customer metrics in parts: the whole table's, to the bit, however cut", () => {
  const cuts = [[], [1], [4], [5, 7], [2, 6, 8, 11], Array.from({ length: 11 }, (_, i) => i + 1)];
  for (const date of [null, "2011-01-06"]) {
    const asOf = date ?? analysisDateAfter(inParts([], null).dates.last);
    const whole = customerMetrics(ROWS, asOf);
    assert.equal(whole.height, 4);
    for (const c of cuts) {
      const got = inParts(c, date).metrics(asOf);
      assert(got.frameEqual(whole, true), `cut at ${c} (${date}):\n${got}\n${whole}`);
    }
  }
  // The cases a careless merge gets wrong are there: invoice 1 of "a" spans parts (a sum of the
  // parts' distinct counts would give 4), and the latest line of "b" (source row 9, "NL") comes
  // before the one it ties with (row 7, "BE"): the later part does not win.
  const whole = customerMetrics(ROWS, "2011-01-09");
  const of = (id: string, c: string) =>
    whole.filter(pl.col("customer_id").eq(pl.lit(id))).getColumn(c).get(0);
  assert.equal(of("a", "frequency"), 3);
  assert.equal(of("b", "country"), "NL");
});

Deno.test("customer metrics in parts: the purchase dates, and a date it was not counted for", () => {
  const parts = inParts([3, 9], "2011-01-06");
  const us = (iso: string) => Date.parse(iso + "Z") * 1000;
  assert.deepEqual(parts.dates, {
    lines: 12,
    before: 8, // three lines on or after 2011-01-06 00:00, one without a time
    first: us("2011-01-01T00:00:00"),
    last: us("2011-01-08T00:00:00"),
  });
  assert.throws(() => parts.metrics("2011-01-07"), /counted for another analysis date/);
  // The default date: every line with a time counts, and the date is the day after the last.
  const dflt = inParts([3, 9], null);
  assert.equal(dflt.dates.before, 11);
  assert.throws(() => dflt.metrics("2011-01-06"), /counted for another analysis date/);
  assert.equal(dflt.metrics("2011-01-09").height, 4);
  assert.throws(() => new CustomerMetricsInParts(null).metrics("2011-01-09"), /no part given/);
  // An empty part adds nothing.
  const empty = inParts([3, 9], null);
  empty.add(ROWS.head(0));
  assert(empty.metrics("2011-01-09").frameEqual(dflt.metrics("2011-01-09"), true));
});
