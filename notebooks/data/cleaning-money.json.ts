/**
 * Data loader: the value of the lines the cleaning dropped, per reason (`droppedValue` of
 * src/report/money.ts, over `<processed>/quarantine.parquet`), and the customers the input files
 * name who have no kept purchase at all (every line of theirs was dropped), by the reason their
 * lines were dropped for: why the customer count after cleaning is below the count in the files.
 */
import pl from "nodejs-polars";
import { droppedValue } from "../../src/report/money.ts";
import { emit, numbers, outputDirs, readJsonIfExists, readProcessed } from "./_outputs.ts";

const dirs = await outputDirs();
const cleaning = readJsonIfExists<{ rules: { code: string }[] }>(`${dirs.reports}/cleaning.json`);
const order = cleaning?.rules.map((r) => r.code) ?? [];
const q = readProcessed(dirs, "quarantine.parquet", ["reason", "line_value", "customer_id"]);
const kept = readProcessed(dirs, "transactions.parquet", ["customer_id"]);

const reasons = q.getColumn("reason").cast(pl.Utf8).toArray() as string[];
const ids = q.getColumn("customer_id").cast(pl.Utf8).toArray() as (string | null)[];
const byReason = droppedValue(reasons, numbers(q, "line_value"), ids, order);

// Customers named only on dropped lines: each counted once, under the first reason (in rule
// order) that dropped one of their lines.
const keptIds = new Set(kept.getColumn("customer_id").cast(pl.Utf8).toArray() as string[]);
const rank = new Map(order.map((c, i) => [c, i]));
const lostReason = new Map<string, string>();
ids.forEach((id, i) => {
  if (id === null || id === "" || keptIds.has(id)) return;
  const r = reasons[i];
  const prev = lostReason.get(id);
  if (prev === undefined || (rank.get(r) ?? 99) < (rank.get(prev) ?? 99)) lostReason.set(id, r);
});
const lost = new Map<string, number>();
for (const r of lostReason.values()) lost.set(r, (lost.get(r) ?? 0) + 1);

emit({
  source: [
    dirs.display(`${dirs.processed}/quarantine.parquet`),
    dirs.display(`${dirs.processed}/transactions.parquet`),
  ],
  byReason,
  customers: {
    inFiles: keptIds.size + lostReason.size,
    kept: keptIds.size,
    withoutKeptPurchase: lostReason.size,
    byReason: order.filter((r) => lost.has(r)).map((reason) => ({
      reason,
      customers: lost.get(reason)!,
    })),
  },
});
