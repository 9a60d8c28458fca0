/**
 * Data loader: the RFM summary (`<reports>/rfm.json`: analysis date, thresholds used, segment
 * rules with actions, segment sizes and revenue shares), plus where it was read from.
 */
import { emit, outputDirs, readRequiredJson } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.reports}/rfm.json`;
emit({ source: dirs.display(path), ...readRequiredJson<Record<string, unknown>>(path) });
