/**
 * Data loader: the build manifest (`<reports>/manifest.json`: input files with checksums, row
 * counts and origin, configuration, seeds, versions of Deno and the npm packages, git commit, stage
 * times), for the Methods page. Prints `{"available": false, "missing": [...]}` when the analysis
 * has not written it.
 */
import { emit, outputDirs, readJsonIfExists } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.reports}/manifest.json`;
const manifest = readJsonIfExists<Record<string, unknown>>(path);
emit(
  manifest === null
    ? { available: false, missing: [dirs.display(path)] }
    : { available: true, source: dirs.display(path), ...manifest },
);
