/**
 * Data loader: the customer table for the Customers page, from `<processed>/customers.parquet`
 * (the same rows as `<reports>/customers.csv`), with the columns the model stage appends
 * (cluster, loyalty level, score, band) but without the class probabilities (`p_<level>`), which
 * the page does not show and which would make it heavy for large datasets (they stay in
 * customers.csv).
 *
 * Written column by column to keep the file small: numbers as arrays (money rounded to 2
 * decimals), dates (columns of Date type, or strings named *_purchase / *_date) as day numbers
 * since 1970-01-01, and text with few distinct values as `{dict, codes}`. The page decodes it
 * with `decodeColumns` (components/table.js).
 */
import pl from "nodejs-polars";
import { emit, outputDirs, readCustomers } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.processed}/customers.parquet`;
const df = readCustomers(dirs);

type Encoded =
  | { type: "number"; values: (number | null)[] }
  | { type: "string"; values: (string | null)[] }
  | { type: "category"; dict: string[]; codes: number[] }
  | { type: "date"; days: (number | null)[] };

const DAY_MS = 86_400_000;
function encode(name: string, s: pl.Series): Encoded {
  const dt = s.dtype;
  if (
    dt.equals(pl.Date) || String(dt).startsWith("Datetime") || /(^|_)(purchase|date)$/.test(name)
  ) {
    const text = s.cast(pl.Utf8).toArray() as (string | null)[];
    return {
      type: "date",
      days: text.map((
        v,
      ) => (v === null ? null : Math.round(Date.parse(v.slice(0, 10) + "T00:00:00Z") / DAY_MS))),
    };
  }
  if (dt.equals(pl.Float64) || dt.equals(pl.Float32)) {
    return { type: "number", values: s.round(2).toArray() as (number | null)[] };
  }
  if (s.isNumeric()) {
    return {
      type: "number",
      values: Array.from(
        s.toArray() as (number | bigint | null)[],
        (v) => (v === null ? null : Number(v)),
      ),
    };
  }
  const text = s.cast(pl.Utf8).toArray() as (string | null)[];
  const distinct = new Set(text);
  if (name !== "customer_id" && distinct.size <= 1000) {
    const dict = [...distinct].map((v) => v ?? "").sort();
    const index = new Map(dict.map((v, i) => [v, i]));
    return { type: "category", dict, codes: text.map((v) => index.get(v ?? "")!) };
  }
  return { type: "string", values: text };
}

const order = df.columns.filter((c) => !/^p_/.test(c));
const columns = Object.fromEntries(order.map((c) => [c, encode(c, df.getColumn(c))]));
emit({ source: dirs.display(path), rows: df.height, order, columns });
