/**
 * Data loader: a few example customers for the score widget, one per score band: the customer
 * with the median score of the band (ties → the smaller id), with the exact model features (as
 * stored in `<processed>/customers.parquet`), segment, cluster and the score and band the build
 * gave them. Empty before the model stage has added the score columns.
 */
import { emit, outputDirs, readCustomers } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.processed}/customers.parquet`;
const df = readCustomers(dirs);
interface Row {
  customer_id: string;
  recency_days: number;
  frequency: number;
  monetary: number;
  tenure_days: number;
  rfm_segment: string;
  cluster: string;
  loyalty_level: string;
  score: number;
  band: string;
  country?: string | null;
}
const needed = ["score", "band", "cluster", "loyalty_level"];
const examples: Row[] = [];
if (needed.every((c) => df.columns.includes(c))) {
  const cols = [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "rfm_segment",
    "cluster",
    "loyalty_level",
    "score",
    "band",
    ...(df.columns.includes("country") ? ["country"] : []),
  ];
  const rows = (df.select(...cols).toRecords() as unknown as Row[]).map((r) => ({
    ...r,
    customer_id: String(r.customer_id),
    recency_days: Number(r.recency_days),
    frequency: Number(r.frequency),
    tenure_days: Number(r.tenure_days),
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
