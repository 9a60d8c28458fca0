/**
 * Data loader: the model stage's report (`<reports>/metrics.json`: K-Means segmentation, segment
 * classifier, loyalty model evaluation, current scores, and the original project's claim), plus
 * where it was read from; `{"available": false, "missing": [...]}` before the model stage has run
 * (`emitOutput` of _outputs.ts).
 */
import { emitOutput, outputDirs } from "./_outputs.ts";

const dirs = await outputDirs();
emitOutput(dirs, `${dirs.reports}/metrics.json`);
