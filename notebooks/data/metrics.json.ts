/**
 * Data loader: the model stage's report (`<reports>/metrics.json`: K-Means segmentation, segment
 * classifier, loyalty model evaluation, current scores, and the original project's claim), plus
 * where it was read from; `{"available": false, "missing": [...]}` before the model stage has run.
 */
import { emit, outputDirs, readJsonIfExists } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.reports}/metrics.json`;
const value = readJsonIfExists<Record<string, unknown>>(path);
if (value === null) emit({ available: false, missing: [dirs.display(path)] });
else emit({ available: true, source: dirs.display(path), ...value });
