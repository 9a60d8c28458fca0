/**
 * Data loader: customers for the scatter of K-Means clusters on the Segments page, from
 * `<processed>/customers.parquet`: recency, frequency, monetary value and cluster of every
 * customer, or of a deterministic sample of at most {@link MAX_POINTS} when there are more (the
 * pure `stratifiedSample` of src/report.ts: each cluster keeps its share; the same customers on
 * every build). Column-wise, clusters as codes into `clusters`. Prints `{"available": false}`
 * before the model stage has added the `cluster` column.
 */
import pl from "nodejs-polars";
import { stratifiedSample } from "../../src/report/narrative.ts";
import { emit, numbers, outputDirs, readCustomers, readJsonIfExists } from "./_outputs.ts";

/** Most points drawn (an SVG scatter of more is slow on a phone and adds little). */
const MAX_POINTS = 6000;

const dirs = await outputDirs();
const path = `${dirs.processed}/customers.parquet`;
const df = readCustomers(dirs);
if (!df.columns.includes("cluster")) {
  emit({ available: false, source: dirs.display(path), missing: ["cluster column"] });
} else {
  const ids = df.getColumn("customer_id").cast(pl.Utf8).toArray() as string[];
  const cluster = df.getColumn("cluster").cast(pl.Utf8).toArray() as string[];
  const rows = stratifiedSample(ids, cluster, MAX_POINTS, "segments-scatter");
  const num = (c: string, digits: number) => {
    const all = numbers(df, c);
    const f = 10 ** digits;
    return rows.map((r) => Math.round(all[r] * f) / f);
  };
  // Cluster names in value order (as in metrics.json), else alphabetical.
  const metrics = readJsonIfExists<{ segmentation?: { names?: string[] } }>(
    `${dirs.reports}/metrics.json`,
  );
  const names = metrics?.segmentation?.names ?? [...new Set(cluster)].sort();
  const code = new Map(names.map((n, i) => [n, i]));
  emit({
    available: true,
    source: dirs.display(path),
    customers: df.height,
    sampled: rows.length < df.height,
    clusters: names,
    columns: {
      recency_days: num("recency_days", 0),
      frequency: num("frequency", 0),
      monetary: num("monetary", 2),
      cluster: rows.map((r) => code.get(cluster[r]) ?? -1),
    },
  });
}
