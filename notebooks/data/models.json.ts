/**
 * Data loader: the model stage's outputs (`<reports>/metrics.json`, `<reports>/model.json`) when
 * they exist. Before the model stage has run it prints `{"available": false, "missing": [...]}`
 * so that the site still builds and the pages say the figures are not there (never made up).
 */
import { emit, outputDirs, readJsonIfExists } from "./_outputs.ts";

const dirs = await outputDirs();
const files = { metrics: `${dirs.reports}/metrics.json`, model: `${dirs.reports}/model.json` };
const metrics = readJsonIfExists(files.metrics);
const model = readJsonIfExists(files.model);
const missing = Object.values(files).filter((_p, i) => [metrics, model][i] === null).map(
  dirs.display,
);
emit({ available: metrics !== null, metrics, model, missing });
