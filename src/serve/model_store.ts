/**
 * The model the service answers with, and its hot reload.
 *
 * A {@link LoadedModel} is built completely — file read, checked (`src/score/model_file.ts`),
 * neighbour index built, model card assembled — before it replaces the current one in a single
 * assignment. A request takes the current model once and uses it throughout, so it sees either
 * the old or the new model, never a mix. A file that fails to load leaves the current model in
 * place (the failure is logged). Reloads are serialised, and a reload to the same file content
 * changes nothing.
 *
 * Triggers: {@link ModelStore.reload} (the server calls it on SIGHUP) and
 * {@link ModelStore.watch}, which watches the model's folder (so that an atomic replace — write
 * a temporary file, rename it onto the model — is seen) and reloads shortly after the file
 * changes.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { FEATURES } from "../config/features.ts";
import { sha256 } from "../lib/files.ts";
import { parseModelFile } from "../score/model_file.ts";
import { indexFor } from "../score/neighbours.ts";
import { type LoyaltyModel, scoreMany } from "../score/score.ts";
import type { LogFn } from "./log.ts";
import { MAX_BATCH, MAX_BODY_BYTES } from "./schemas.ts";
import type { z } from "zod";
import type { MetricsSummary, ModelCard, ModelRef } from "./schemas.ts";

/** A model ready to answer requests. */
export interface LoadedModel {
  /** The model. */
  model: LoyaltyModel;
  /** Which model this is (sent with every answer). */
  ref: z.infer<typeof ModelRef>;
  /** The model card (GET /v1/model). */
  card: z.infer<typeof ModelCard>;
  /** The file it came from (absolute). */
  path: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const intOrNull = (v: unknown) => (Number.isInteger(v) ? v as number : null);

/** The held-out figures from a parsed metrics.json, or null when it is another dataset's. */
export function metricsSummary(
  metrics: unknown,
  dataset: string | null,
): z.infer<typeof MetricsSummary> | null {
  if (!isObj(metrics) || !isObj(metrics.loyalty)) return null;
  if (dataset !== null && metrics.dataset !== dataset) return null;
  const l = metrics.loyalty;
  const chosen = isObj(l.chosen) ? l.chosen : {};
  const test = isObj(l.test) ? l.test : {};
  const bands = Array.isArray(l.bands) ? l.bands.filter(isObj) : [];
  return {
    k: intOrNull(chosen.k),
    weighting: typeof chosen.weighting === "string" ? chosen.weighting : null,
    customersAtCutoff: intOrNull(l.customersAtCutoff),
    heldOut: {
      accuracy: numOrNull(test.accuracy),
      balancedAccuracy: numOrNull(test.balancedAccuracy),
      macroF1: numOrNull(test.macroF1),
      aucTop: numOrNull(test.aucTop),
    },
    bands: bands.map((b) => ({ band: String(b.band), topRate: numOrNull(b.topRate) })),
  };
}

/**
 * The training customers of a model: with collapsed duplicates (`knn.counts`) the sum of the
 * counts, else one per training point.
 *
 * @example
 * ```ts
 * import { trainingCustomers } from "./model_store.ts";
 * import { equal } from "node:assert/strict";
 * equal(trainingCustomers({ knn: { points: [[0], [1]], counts: [[2, 1], [0, 4]] } }), 7);
 * equal(trainingCustomers({ knn: { points: [[0], [1]] } }), 2);
 * ```
 *
 * @param model the model (its `knn.points` and `knn.counts`)
 */
export function trainingCustomers(
  model: { knn: Pick<LoyaltyModel["knn"], "points" | "counts"> },
): number {
  const counts = model.knn.counts;
  if (!counts) return model.knn.points.length;
  let n = 0;
  for (const c of counts) for (const x of c) n += x;
  return n;
}

/**
 * Reads, checks and prepares a model file (and the metrics.json beside it, when present).
 *
 * @param path model file
 * @throws {Error} when the file cannot be read or is not a usable model (the message names the
 *   file and the key at fault)
 */
export async function loadModel(path: string): Promise<LoadedModel> {
  const abs = resolve(path);
  const bytes = await Deno.readFile(abs);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`${abs}: not valid JSON: ${(e as Error).message}`);
  }
  const { model, info } = parseModelFile(json, abs);
  scoreMany(model, []); // builds the neighbour index now, not on the first request
  indexFor(model.knn).prepare(model.knn.points[0]); // and the arrays of reason-code searches
  let metrics: z.infer<typeof MetricsSummary> | null = null;
  try {
    metrics = metricsSummary(
      JSON.parse(await Deno.readTextFile(join(dirname(abs), "metrics.json"))),
      info.dataset,
    );
  } catch {
    metrics = null; // no (readable) metrics beside the model: the card says null
  }
  const ref = {
    fingerprint: sha256(bytes),
    trainingFingerprint: info.trainingFingerprint,
    dataset: info.dataset,
  };
  const card: z.infer<typeof ModelCard> = {
    ...ref,
    kind: model.kind,
    formatVersion: info.formatVersion,
    trainedOn: info.trainedOn,
    trainingCustomers: trainingCustomers(model),
    features: model.features.map((name) => {
      const f = FEATURES.find((x) => x.name === name)!;
      return { name, label: f.label, unit: f.unit, required: name !== "avg_order_value" };
    }),
    levels: model.levels,
    cutoff: model.cutoff,
    windowEnd: model.windowEnd,
    k: model.knn.k,
    weighting: model.knn.weighting,
    score: { min: model.score.min, max: model.score.max, bands: model.score.bands },
    limits: model.limits,
    libraries: info.libraries,
    metrics,
    loadedAt: new Date().toISOString(),
    requestLimits: { maxBatch: MAX_BATCH, maxBodyBytes: MAX_BODY_BYTES },
  };
  return { model, ref, card, path: abs };
}

/** Outcome of a reload. */
export type ReloadOutcome = "reloaded" | "unchanged" | "failed";

/** Holds the current model; reloads it atomically. */
export class ModelStore {
  #current: LoadedModel;
  #queue: Promise<unknown> = Promise.resolve();
  #watcher: Deno.FsWatcher | null = null;
  #debounce: ReturnType<typeof setTimeout> | undefined;

  private constructor(first: LoadedModel, private readonly log: LogFn) {
    this.#current = first;
  }

  /** Loads the first model; fails (throws) when it cannot be used. */
  static async open(path: string, log: LogFn): Promise<ModelStore> {
    return new ModelStore(await loadModel(path), log);
  }

  /** The current model: take it once per request. */
  get current(): LoadedModel {
    return this.#current;
  }

  /**
   * Reloads the model file. Never throws: a failure is logged and the current model stays.
   *
   * @param trigger what asked for the reload, for the log ("SIGHUP", "file change")
   */
  reload(trigger: string): Promise<ReloadOutcome> {
    const run = async (): Promise<ReloadOutcome> => {
      const previous = this.#current;
      try {
        const next = await loadModel(previous.path);
        if (next.ref.fingerprint === previous.ref.fingerprint) {
          this.log({ event: "model unchanged", trigger, fingerprint: previous.ref.fingerprint });
          return "unchanged";
        }
        this.#current = next; // the one switch: later requests get the new model
        this.log({
          event: "model reloaded",
          trigger,
          fingerprint: next.ref.fingerprint,
          previous: previous.ref.fingerprint,
          dataset: next.ref.dataset,
        });
        return "reloaded";
      } catch (e) {
        this.log({
          event: "model reload failed",
          level: "error",
          trigger,
          error: (e as Error).message.slice(0, 500),
          fingerprint: previous.ref.fingerprint,
        });
        return "failed";
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result;
    return result;
  }

  /**
   * Reloads the model when its file changes (watching its folder, so an atomic rename onto the
   * file is seen), `delayMs` after the last change event.
   */
  watch(delayMs = 200): void {
    if (this.#watcher) return;
    const path = this.#current.path;
    const name = basename(path);
    const watcher = Deno.watchFs(dirname(path), { recursive: false });
    this.#watcher = watcher;
    (async () => {
      try {
        for await (const ev of watcher) {
          if (!ev.paths.some((p) => basename(p) === name && dirname(p) === dirname(path))) continue;
          if (ev.kind === "access") continue;
          clearTimeout(this.#debounce);
          this.#debounce = setTimeout(() => {
            this.#debounce = undefined;
            this.reload("file change");
          }, delayMs);
        }
      } catch (e) {
        this.log({ event: "model watch stopped", level: "error", error: (e as Error).message });
      }
    })();
  }

  /** Stops watching and waits for a reload in progress. */
  async close(): Promise<void> {
    clearTimeout(this.#debounce);
    this.#debounce = undefined;
    if (this.#watcher) {
      try {
        this.#watcher.close();
      } catch {
        // already closed
      }
      this.#watcher = null;
    }
    await this.#queue.catch(() => {});
  }
}
