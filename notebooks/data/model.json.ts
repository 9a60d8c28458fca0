/**
 * Data loader: the fitted loyalty model (`<reports>/model.json`), unchanged, for the score widget,
 * which passes it to the same `scoreCustomer` the build used (src/score.ts, bundled). Only the
 * whitespace differs from the file: the numbers are re-printed by `JSON.stringify`, which gives
 * back exactly the same values. Before the model stage has run it prints
 * `{"available": false, "missing": [...]}`.
 */
import { emit, outputDirs, readJsonIfExists } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.reports}/model.json`;
const model = readJsonIfExists<Record<string, unknown>>(path);
emit(model === null ? { available: false, missing: [dirs.display(path)] } : model);
