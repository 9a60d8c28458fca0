/**
 * Data loader: the build manifest (`<reports>/manifest.json`: input files with checksums, row
 * counts and origin, configuration, seeds, versions of Deno and the npm packages, git commit, stage
 * times), for the Methods page; `{"available": false, "missing": [...]}` when the analysis has not
 * written it (`emitOutput` of _outputs.ts).
 */
import { emitOutput, outputDirs } from "./_outputs.ts";

const dirs = await outputDirs();
emitOutput(dirs, `${dirs.reports}/manifest.json`);
