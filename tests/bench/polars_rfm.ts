/**
 * The floor of the stack on the data stage (`deno task bench --scale N`): polars alone, lazy
 * scanning with its streaming engine, running exactly the plain script of `pandas_rfm.py` on the
 * same spec (argv[0]: {"files": [{"glob", "columns", "timestampFormat"}], "out": path}): missing
 * customer, cancellations "C…", adjustments "A…", quantity <= 0, price <= 0, exact duplicate
 * lines, then the RFM customer table with quintile scores, written as CSV to "out". No checks, no
 * quarantine, no report: what the library itself costs, to set the workspace's figures against.
 * Prints one JSON line of counts.
 *
 * @module
 */
import pl from "nodejs-polars";

interface Spec {
  files: { glob: string; columns: Record<string, string>; timestampFormat: string }[];
  out: string;
}

const spec: Spec = JSON.parse(await Deno.readTextFile(Deno.args[0]));
/** The mapped columns (canonical names), as the spec's first file maps them. */
const KEEP = Object.keys(spec.files[0].columns);
const frames = spec.files.map((f) =>
  pl.scanCSV(f.glob, { inferSchemaLength: 0 }).select(
    ...KEEP.map((k) => pl.col(f.columns[k]).alias(k)),
  ).withColumns(
    pl.col("timestamp").str.strptime(pl.Datetime, f.timestampFormat),
    pl.col("quantity").cast(pl.Float64),
    pl.col("unit_price").cast(pl.Float64),
    pl.col("customer_id").cast(pl.Float64),
  )
);
const lines = pl.concat(frames, { how: "vertical" });
const rowsIn = Number(
  lines.select(pl.len().alias("n")).collectSync({ engine: "streaming" }).getColumn("n").get(0),
);
const kept = lines.filter(
  pl.col("customer_id").isNotNull()
    .and(pl.col("invoice").str.startsWith("C").not())
    .and(pl.col("invoice").str.startsWith("A").not())
    .and(pl.col("quantity").gt(0))
    .and(pl.col("unit_price").gt(0)),
).unique().withColumns(pl.col("quantity").mul(pl.col("unit_price")).alias("value"));
const g = kept.groupBy("customer_id").agg(
  pl.col("timestamp").min().alias("first"),
  pl.col("timestamp").max().alias("last"),
  pl.col("invoice").nUnique().alias("frequency"),
  pl.col("value").sum().alias("monetary"),
  pl.len().alias("lines"),
).collectSync({ engine: "streaming" });
// Timestamps as integers of their unit; the analysis date is the day after the last purchase.
const unit = String(g.getColumn("last").dtype).match(/\b(ms|us|ns)\b/)?.[1] ?? "us";
const perDay = 86_400 * ({ ms: 1e3, us: 1e6, ns: 1e9 } as Record<string, number>)[unit];
const analysis = pl.col("last").cast(pl.Int64).max().div(perDay).floor().add(1).mul(perDay);
const days = (c: string) =>
  analysis.sub(pl.col(c).cast(pl.Int64)).div(perDay).floor().cast(pl.Int64);
/**
 * Quintile 1..5 of `e` as pandas' qcut of rank(method="first"): ties ranked in order, bin edges
 * at the ranks' quantiles 1 + (n − 1)·i/5, each bin closed on the right.
 */
const quintile = (e: pl.Expr) =>
  e.rank("ordinal").sub(1).mul(5).div(pl.len().sub(1)).ceil().clip(1, 5).cast(pl.Int32);
const table = g.sort("customer_id").withColumns(
  days("last").alias("recency_days"),
  days("first").alias("tenure_days"),
  pl.col("monetary").div(pl.col("frequency")).alias("avg_order_value"),
).withColumns(
  pl.lit(6).sub(quintile(pl.col("recency_days"))).alias("r_score"),
  quintile(pl.col("frequency")).alias("f_score"),
  quintile(pl.col("monetary")).alias("m_score"),
).drop("first", "last");
table.writeCSV(spec.out);
console.log(JSON.stringify({
  rows_in: rowsIn,
  rows_kept: Number(g.getColumn("lines").sum()),
  customers: table.height,
}));
