/**
 * Data loader: the model stage's report (`<reports>/metrics.json`: K-Means segmentation, segment
 * classifier, loyalty model evaluation, current scores, and the original project's claim), plus
 * where it was read from. Before the model stage has run it prints
 * `{"available": false, "missing": [...]}` so that the site still builds and the pages say the
 * figures are not there (never made up).
 */
import { emit, outputDirs, readJsonIfExists } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.reports}/metrics.json`;
const metrics = readJsonIfExists<Record<string, unknown>>(path);
emit(
  metrics === null
    ? { available: false, missing: [dirs.display(path)] }
    : { available: true, source: dirs.display(path), ...metrics },
);
