/**
 * Data loader: the fitted loyalty model (`<reports>/model.json`), unchanged, for the score widget,
 * which passes it to the same `scoreCustomer` the build used (src/score/score.ts, bundled). Only
 * the whitespace differs from the file: the numbers are re-printed by `JSON.stringify`, which
 * gives back exactly the same values. Before the model stage has run it prints
 * `{"available": false, "missing": [...]}`.
 */
import { emitOutput, outputDirs } from "./_outputs.ts";

const dirs = await outputDirs();
emitOutput(dirs, `${dirs.reports}/model.json`, { annotate: false });
