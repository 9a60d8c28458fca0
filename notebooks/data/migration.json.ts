/**
 * Data loader: the segment migration matrix — which RFM segment each customer was in on the
 * loyalty model's cutoff date and which it is in on the analysis date. The build computes it
 * (`metrics.json` → `segmentMigration`: the segments at the cutoff from the lines kept by the
 * cleaning as of the cutoff, with the dataset's bins, cut points and segment guards); this loader
 * adds the analysis date and whether guards applied, from `rfm.json`. Prints
 * `{"available": false}` before the model stage has run.
 */
import { emit, outputDirs, readJsonIfExists } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.reports}/metrics.json`;
const metrics = readJsonIfExists<{ segmentMigration?: Record<string, unknown> }>(path);
const rfm = readJsonIfExists<{ analysisDate: string; guards?: unknown }>(
  `${dirs.reports}/rfm.json`,
);
const migration = metrics?.segmentMigration;
if (!migration || !rfm) {
  emit({ available: false, missing: [`segmentMigration (${dirs.display(path)})`] });
} else {
  emit({
    available: true,
    source: dirs.display(path),
    toDate: rfm.analysisDate,
    guards: rfm.guards != null,
    ...migration,
  });
}
