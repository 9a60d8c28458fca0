/**
 * The single entry of the browser bundle: the pure modules the pages run client-side. The score
 * widget runs the very scoring module the pipeline scores with, and the pages turn numbers into
 * sentences with the same tested helpers the tests check. Bundled by `bundle.ts` into
 * `notebooks/components/generated/workspace.js` (git-ignored) before every site build.
 *
 * @module
 */
export * from "../score/score.ts";
export * from "../report/narrative.ts";
export * from "../config/features.ts";
export * from "../lib/time.ts";
export * from "../report/verdicts.ts";
export * from "../report/decisions.ts";
export * from "../score/reasons.ts";
export * from "../report/download.ts";
export * from "../report/packed.ts";
