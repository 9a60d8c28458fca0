/**
 * Data loader: a few example customers for the score widget, one per score band: the customer
 * with the median score of the band (ties → the smaller id), with the exact model features (as
 * stored in `<processed>/customers.parquet`; the model features of `widgetFeatures`),
 * segment, cluster and the score and band the build gave them. Empty before the model stage has
 * added the score columns.
 */
import { emit, outputDirs, readCustomers, widgetFeatures } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.processed}/customers.parquet`;
const df = readCustomers(dirs);
type Row = Record<string, string | number | null> & {
  customer_id: string;
  score: number;
  band: string;
};
const needed = ["score", "band", "cluster", "loyalty_level"];
const examples: Row[] = [];
if (needed.every((c) => df.columns.includes(c))) {
  const features = widgetFeatures(dirs, df.columns);
  const cols = [
    "customer_id",
    ...features,
    "rfm_segment",
    "cluster",
    "loyalty_level",
    "score",
    "band",
    ...(df.columns.includes("country") ? ["country"] : []),
  ];
  const rows = (df.select(...cols).toRecords() as unknown as Row[]).map((r) => ({
    ...r,
    ...Object.fromEntries(features.map((f) => [f, r[f] === null ? null : Number(r[f])])),
    customer_id: String(r.customer_id),
    score: Number(r.score),
  }));
  const bands = [...new Set(rows.map((r) => r.band))].sort();
  for (const band of bands) {
    const members = rows.filter((r) => r.band === band).sort((a, b) =>
      a.score - b.score || (a.customer_id < b.customer_id ? -1 : 1)
    );
    examples.push(members[(members.length - 1) >> 1]);
  }
}
emit({ source: dirs.display(path), examples });
