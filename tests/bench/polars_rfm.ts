/**
 * The floor of the stack on the data stage in time (`deno task bench --scale N`): polars alone,
 * lazy scanning with its streaming engine, running exactly the plain script of `pandas_rfm.py`
 * (`plain_script.ts`) on the same spec (argv[0]: {"files": [{"glob", "columns",
 * "timestampFormat"}], "out": path}): missing customer, cancellations "C…", adjustments "A…",
 * quantity <= 0, price <= 0, exact duplicate lines, then the RFM customer table with quintile
 * scores, written as CSV to "out". No checks, no quarantine, no report: what the library itself
 * costs, to set the workspace's figures against. Prints one JSON line of counts.
 *
 * @module
 */
import pl from "nodejs-polars";
import {
  finish,
  mappedNames,
  PLAIN_RULES,
  renamed,
  type Spec,
  typed,
  VALUE,
} from "./plain_script.ts";

const spec: Spec = JSON.parse(await Deno.readTextFile(Deno.args[0]));
const names = mappedNames(spec);
const frames = spec.files.map((f) =>
  pl.scanCSV(f.glob, { inferSchemaLength: 0 }).select(...renamed(f, names)).withColumns(
    ...typed(f),
  )
);
const lines = pl.concat(frames, { how: "vertical" });
const rowsIn = Number(
  lines.select(pl.len().alias("n")).collectSync({ engine: "streaming" }).getColumn("n").get(0),
);
const kept = lines.filter(PLAIN_RULES).unique().withColumns(VALUE);
const g = kept.groupBy("customer_id").agg(
  pl.col("timestamp").min().alias("first"),
  pl.col("timestamp").max().alias("last"),
  pl.col("invoice").nUnique().alias("frequency"),
  pl.col("value").sum().alias("monetary"),
  pl.len().alias("lines"),
).collectSync({ engine: "streaming" });
finish(g, rowsIn, spec.out);
