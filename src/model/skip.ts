/**
 * The one signal that the models cannot be fitted on this data although RFM can: the build then
 * publishes the RFM outputs (clean lines, quarantine, cleaning report, customer table) and says
 * why the model stage was skipped, instead of stopping with an internal message.
 *
 * @example
 * ```ts
 * import { ModelStageSkipped } from "./skip.ts";
 * import { equal, ok } from "node:assert/strict";
 *
 * const e = new ModelStageSkipped("only one loyalty level is populated (Loyal: 12 customers)");
 * ok(e instanceof Error);
 * equal(e.name, "ModelStageSkipped");
 * ```
 *
 * @module
 */

/** The data supports RFM but not the models; `message` says why, in words a user can act on. */
export class ModelStageSkipped extends Error {
  /** @param message why the model stage cannot run on this data (dates, counts) */
  constructor(message: string) {
    super(message);
    this.name = "ModelStageSkipped";
  }
}
