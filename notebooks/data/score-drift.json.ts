/**
 * Data loader: how far today's customers lie from the customers the loyalty model was trained on.
 * For each model feature, today's values (`<processed>/customers.parquet`) are put on the model's
 * scale (the scaler in `<reports>/model.json`, fitted on the training customers at the cutoff)
 * and summarised: median standardised value and the share of customers more than
 * {@link LIMIT} standard deviations from the training mean (the widget's extrapolation warning,
 * `outOfRange` of src/report/narrative.ts). `features` lists the model's features in its order
 * (model.json `features`). Prints `{"available": false}` before the model stage has run.
 */
import type { Scaler } from "../../src/score/scaler.ts";
import { toModelScale } from "../../src/report/narrative.ts";
import { median } from "../../src/lib/stats.ts";
import { emit, numbers, outputDirs, readCustomers, readJsonIfExists, sig } from "./_outputs.ts";

const LIMIT = 4;
const dirs = await outputDirs();
const modelPath = `${dirs.reports}/model.json`;
const model = readJsonIfExists<{ features: string[]; scaler: Scaler }>(modelPath);
if (model === null) {
  emit({ available: false, missing: [dirs.display(modelPath)] });
} else {
  const df = readCustomers(dirs, model.features);
  const n = df.height;
  const z = model.features.map((f) => numbers(df, f).map((v) => toModelScale(model.scaler, f, v)));
  let anyOutside = 0;
  for (let i = 0; i < n; i++) if (z.some((col) => Math.abs(col[i]) > LIMIT)) anyOutside++;
  emit({
    available: true,
    source: [dirs.display(`${dirs.processed}/customers.parquet`), dirs.display(modelPath)],
    limit: LIMIT,
    customers: n,
    anyOutside,
    features: model.features.map((f, j) => ({
      feature: f,
      medianZ: sig(median(z[j]), 4),
      outside: z[j].filter((v) => Math.abs(v) > LIMIT).length,
    })),
  });
}
