/**
 * Data loader: the segment migration matrix — which RFM segment each customer was in on the
 * loyalty model's cutoff date and which it is in on the analysis date (`migrationMatrix` of
 * src/report/activity.ts). The segments at the cutoff are computed the way the build computes
 * today's (`customerMetrics` and `scoreRfm` of src/rfm/rfm.ts, with the dataset's bins, cut points
 * and, when the build applied them, its segment guards) from the kept purchases dated before the
 * cutoff; today's come from `<processed>/customers.parquet`. Prints `{"available": false}` without
 * a cutoff (before the model stage has run).
 */
import pl from "nodejs-polars";
import { migrationMatrix } from "../../src/report/activity.ts";
import { customerMetrics, scoreRfm } from "../../src/rfm/rfm.ts";
import { emit, outputDirs, readCustomers, readJsonIfExists, readProcessed } from "./_outputs.ts";

const dirs = await outputDirs();
const metrics = readJsonIfExists<{ loyalty?: { cutoff?: string } }>(
  `${dirs.reports}/metrics.json`,
);
const model = readJsonIfExists<{ cutoff?: string }>(`${dirs.reports}/model.json`);
const rfm = readJsonIfExists<{
  analysisDate: string;
  segmentRules: { name: string }[];
  guards?: { recencyMultiple: number | null; maxRecencyDays: number | null } | null;
}>(`${dirs.reports}/rfm.json`)!;
const cutoff = metrics?.loyalty?.cutoff ?? model?.cutoff ?? null;

if (cutoff === null || cutoff >= rfm.analysisDate) {
  emit({ available: false, missing: ["the loyalty model's cutoff (metrics.json)"] });
} else {
  const tx = readProcessed(dirs, "transactions.parquet", [
    "customer_id",
    "invoice",
    "line_value",
    "timestamp",
    "country",
    "source_row",
  ]);
  const then = customerMetrics(tx, cutoff);
  const num = (c: string) =>
    Float64Array.from(then.getColumn(c).toArray() as (number | bigint)[], Number);
  const guards = rfm.guards
    ? {
      tenure: num("tenure_days"),
      options: {
        recencyMultiple: rfm.guards.recencyMultiple,
        maxRecencyDays: rfm.guards.maxRecencyDays,
      },
    }
    : null;
  const scores = scoreRfm(
    num("recency_days"),
    num("frequency"),
    num("monetary"),
    dirs.dataset?.rfm.bins ?? 5,
    dirs.dataset?.rfm.cutPoints ?? null,
    guards,
  );
  const now = readCustomers(dirs, ["customer_id", "rfm_segment"]);
  const m = migrationMatrix(
    {
      ids: then.getColumn("customer_id").cast(pl.Utf8).toArray() as string[],
      segments: scores.rfm_segment,
    },
    {
      ids: now.getColumn("customer_id").cast(pl.Utf8).toArray() as string[],
      segments: now.getColumn("rfm_segment").cast(pl.Utf8).toArray() as string[],
    },
    rfm.segmentRules.map((r) => r.name),
    "Not yet a customer",
  );
  emit({
    available: true,
    source: [
      dirs.display(`${dirs.processed}/transactions.parquet`),
      dirs.display(`${dirs.processed}/customers.parquet`),
    ],
    fromDate: cutoff,
    toDate: rfm.analysisDate,
    guards: guards !== null,
    ...m,
  });
}
