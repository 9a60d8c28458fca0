/**
 * Data loader: how far today's customers lie from the customers the loyalty model was trained on.
 * For each model feature, today's values (`<processed>/customers.parquet`) are put on the model's
 * scale (the scaler in `<reports>/model.json`, fitted on the training customers at the cutoff)
 * and summarised: median standardised value and the share of customers more than
 * {@link LIMIT} standard deviations from the training mean (the widget's extrapolation warning,
 * `outOfRange` of src/report.ts). Prints `{"available": false}` before the model stage has run.
 */
import pl from "nodejs-polars";
import type { Scaler } from "../../src/score/scaler.ts";
import { toModelScale } from "../../src/report/narrative.ts";
import { emit, outputDirs, readJsonIfExists, sig } from "./_outputs.ts";

const LIMIT = 4;
const dirs = await outputDirs();
const model = readJsonIfExists<{ features: string[]; scaler: Scaler }>(
  `${dirs.reports}/model.json`,
);
if (model === null) {
  emit({ available: false, missing: [dirs.display(`${dirs.reports}/model.json`)] });
} else {
  const path = `${dirs.processed}/customers.parquet`;
  const df = pl.readParquet(path, { columns: model.features });
  const n = df.height;
  const z = model.features.map((f) =>
    Float64Array.from(
      df.getColumn(f).cast(pl.Float64).toArray() as number[],
      (v) => toModelScale(model.scaler, f, v),
    )
  );
  const median = (a: Float64Array) => {
    const s = Float64Array.from(a).sort();
    return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : null;
  };
  let anyOutside = 0;
  for (let i = 0; i < n; i++) if (z.some((col) => Math.abs(col[i]) > LIMIT)) anyOutside++;
  emit({
    available: true,
    source: [dirs.display(path), dirs.display(`${dirs.reports}/model.json`)],
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
