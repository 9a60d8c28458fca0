/**
 * Data loader: the cleaning report (`<reports>/cleaning.json`) as written by the analysis, plus
 * where it was read from.
 */
import { emit, outputDirs, readRequiredJson } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.reports}/cleaning.json`;
emit({ source: dirs.display(path), ...readRequiredJson<Record<string, unknown>>(path) });
