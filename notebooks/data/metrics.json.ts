/**
 * Data loader: the model stage's report (`<reports>/metrics.json`: K-Means segmentation, segment
 * classifier, loyalty model evaluation, current scores, and the original project's claim), plus
 * where it was read from; `{"available": false, "missing": [...]}` before the model stage has run.
 *
 * The held-out predictions (`loyalty.heldOutPredictions`, one row per held-out customer and
 * model, for whoever recomputes the figures from `metrics.json`) are left out: no page reads
 * them, and on CDNOW they are most of the file (about 0.7 MB of a page's weight).
 */
import { emit, outputDirs, readJsonIfExists } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.reports}/metrics.json`;
const value = readJsonIfExists<Record<string, unknown>>(path);
if (value === null) emit({ available: false, missing: [dirs.display(path)] });
else {
  const loyalty = value.loyalty as Record<string, unknown> | undefined;
  if (loyalty && "heldOutPredictions" in loyalty) {
    const { heldOutPredictions: _, ...rest } = loyalty;
    value.loyalty = rest;
  }
  emit({ available: true, source: dirs.display(path), ...value });
}
