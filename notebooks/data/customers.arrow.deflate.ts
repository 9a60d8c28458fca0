/**
 * Data loader: the customer table of the Customers page, from `<processed>/customers.parquet`
 * (the same rows as `<reports>/customers.csv`), in as few bytes as the browser can read exactly:
 *
 * - the id, RFM metrics and scores, segment, country (when the dataset has one), and the model's
 *   columns (predicted level, score, band) and the reason codes (`reasons`, when the build wrote
 *   them), as they are;
 * - net revenue as whole cents (`monetary_cents`), the class probabilities as ten-thousandths
 *   (`p_<level>_e4`: 0.7143 for 71.43 %), both exact to what the page shows and downloads;
 * - not the columns the page derives: the average order value (net revenue ÷ invoices), the first
 *   and last purchase dates (analysis date − tenure and − recency), nor the K-Means cluster (kept
 *   off the stakeholder pages; it stays in customers.csv).
 *
 * An Arrow table (`arrowBytes` of _outputs.ts: small integer types, text dictionary-encoded
 * except the ids), zlib-compressed (fflate, level 9, no timestamp: the same table gives the same
 * bytes) to about half its size; the page inflates it (the browser's DecompressionStream) and
 * reads it with flechette.
 */
import { zlibSync } from "fflate";
import pl from "nodejs-polars";
import { arrowBytes, emitBytes, outputDirs, readCustomers } from "./_outputs.ts";

const dirs = await outputDirs();
const df = readCustomers(dirs);
const has = (c: string) => df.columns.includes(c);
const present = (c: string) => has(c) && df.getColumn(c).nullCount() < df.height;
const KEEP = [
  "customer_id",
  "rfm_segment",
  "band",
  "score",
  "loyalty_level",
  "recency_days",
  "frequency",
  "tenure_days",
  "r_score",
  "f_score",
  "m_score",
  "country",
  "reasons",
];
const exprs = [
  ...KEEP.filter(present).map((c) => pl.col(c)),
  pl.col("monetary").mul(100).round(0).cast(pl.Int64).alias("monetary_cents"),
  ...df.columns.filter((c) => /^p_/.test(c)).map((c) =>
    pl.col(c).mul(10000).round(0).cast(pl.Int64).alias(`${c}_e4`)
  ),
];
emitBytes(zlibSync(arrowBytes(df.select(...exprs), { plain: ["customer_id"] }), { level: 9 }));
