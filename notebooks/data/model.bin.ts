/**
 * Data loader: the fitted loyalty model (`<reports>/model.json`) for the score widget, packed
 * (`packJson` of src/report/packed.ts: its long arrays — the training customers' points, labels
 * and ids — as binary) and zlib-compressed (fflate, level 9, no timestamp: the same model gives
 * the same bytes). The page inflates it (the browser's DecompressionStream) and unpacks it
 * (`unpackJson`, bundled) into a value equal to `JSON.parse` of model.json, every number bit for
 * bit, which it passes to the same `scoreCustomer` the build used. Before the model stage has run
 * it packs `{"available": false, "missing": [...]}`.
 */
import { zlibSync } from "fflate";
import { packJson } from "../../src/report/packed.ts";
import { emitBytes, outputDirs, readJsonIfExists } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.reports}/model.json`;
const model = readJsonIfExists(path) ?? { available: false, missing: [dirs.display(path)] };
emitBytes(zlibSync(packJson(model), { level: 9 }));
