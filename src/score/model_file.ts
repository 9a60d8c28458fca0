/**
 * Reading a saved loyalty model (`model.json`, written by the build) back into a
 * {@link LoyaltyModel}, for the scoring service and batch scoring. Pure: it takes the parsed JSON
 * (the caller reads the file) and either returns the model or throws a {@link ModelFileError}
 * naming the key at fault, so a wrong or damaged file is refused with a clear message instead of
 * scoring with NaN.
 *
 * **Format version.** The model's `version` field is its format version
 * ({@link MODEL_FORMAT_VERSION}); a file without one is read as version 1 (the current format). A
 * file of another version, or of another `kind`, is refused: rebuild the model with this
 * workspace (`deno task build`) or use the workspace version that wrote it.
 *
 * **Checks.** Every part the scoring module relies on: features (known to the feature registry,
 * no duplicates), the scaler (one finite mean and a positive finite deviation per feature, names
 * equal to the features), the neighbours (k, weighting, class count, one finite point of the
 * right dimension, a label and a customer id per training customer), levels, dates, the score
 * scale and bands, and the input limits (a file keeps the caps it was saved with: models of this
 * workspace store caps learnt from their training data, see `trainingLimits` in `score.ts`), and
 * the optional `currency` code used in reason texts. {@link checkFeatureSet} compares the model's
 * features with the ones a dataset configuration expects.
 *
 * @module
 */

import { FEATURE_NAMES } from "../config/features.ts";
import type { LoyaltyModel } from "./score.ts";

/** The `kind` tag of a loyalty model file. */
export const MODEL_KIND = "rfm-loyalty-knn";

/** The model format version the build writes (`version` in model.json). */
export const MODEL_FORMAT_VERSION: LoyaltyModel["version"] = 2;

/** The format versions this code reads: 1 (whole-history features) and 2 (look-back features). */
export const READABLE_VERSIONS: readonly LoyaltyModel["version"][] = [1, 2];

/** A model file that cannot be used, naming the key at fault. */
export class ModelFileError extends Error {
  /** Key path at fault (`knn.points[3]`), or `""` for the file as a whole. */
  readonly key: string;
  /**
   * @param key key path at fault
   * @param message what is wrong
   * @param source where the model came from (a file path), prefixed to the message
   */
  constructor(key: string, message: string, source = "model") {
    super(`${source}: ${key ? `${key}: ` : ""}${message}`);
    this.name = "ModelFileError";
    this.key = key;
  }
}

/** What a model file says about itself besides the model. */
export interface ModelFileInfo {
  /** Format version (1 when the file has none). */
  formatVersion: number;
  /** Dataset id the model was built from, or null. */
  dataset: string | null;
  /** Fingerprint of the training data (customer ids, points, labels), or null. */
  trainingFingerprint: string | null;
  /** Plain-language description of the training customers, or null. */
  trainedOn: string | null;
  /** Library versions used by the build. */
  libraries: Record<string, string>;
}

/** A validated model file. */
export interface ModelFile {
  model: LoyaltyModel;
  info: ModelFileInfo;
}

type Obj = Record<string, unknown>;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

/** Validation helpers bound to one source (for the messages). */
class Reader {
  constructor(readonly source: string) {}

  fail(key: string, message: string): never {
    throw new ModelFileError(key, message, this.source);
  }

  obj(v: unknown, key: string): Obj {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      this.fail(key, `expected an object, got ${typeName(v)}`);
    }
    return v as Obj;
  }

  arr(v: unknown, key: string): unknown[] {
    if (!Array.isArray(v)) this.fail(key, `expected an array, got ${typeName(v)}`);
    return v;
  }

  str(v: unknown, key: string): string {
    if (typeof v !== "string" || v === "") {
      this.fail(key, `expected a non-empty string, got ${typeName(v)}`);
    }
    return v;
  }

  num(v: unknown, key: string): number {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      this.fail(key, `expected a finite number, got ${typeName(v)}`);
    }
    return v;
  }

  int(v: unknown, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const n = this.num(v, key);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.fail(key, `expected a whole number from ${min} to ${max}, got ${n}`);
    }
    return n;
  }

  strings(v: unknown, key: string, minLength: number): string[] {
    const a = this.arr(v, key);
    if (a.length < minLength) this.fail(key, `expected at least ${minLength} entries`);
    const out = a.map((x, i) => this.str(x, `${key}[${i}]`));
    const dup = out.find((x, i) => out.indexOf(x) !== i);
    if (dup !== undefined) this.fail(key, `"${dup}" appears twice`);
    return out;
  }

  numbers(v: unknown, key: string, length: number): number[] {
    const a = this.arr(v, key);
    if (a.length !== length) this.fail(key, `expected ${length} numbers, got ${a.length}`);
    return a.map((x, i) => this.num(x, `${key}[${i}]`));
  }

  optionalStr(v: unknown, key: string): string | null {
    return v === undefined || v === null ? null : this.str(v, key);
  }
}

/**
 * Validates a parsed model file and returns the model and what the file says about itself.
 *
 * @example
 * ```ts
 * import { MODEL_FORMAT_VERSION, parseModelFile } from "./model_file.ts";
 * import { equal, throws } from "node:assert/strict";
 * const json = {
 *   kind: "rfm-loyalty-knn",
 *   version: 1,
 *   features: ["recency_days"],
 *   scaler: { names: ["recency_days"], log: [false], means: [0], stds: [1] },
 *   knn: { k: 1, weighting: "uniform", nClasses: 2, points: [[0], [5]], labels: [1, 0] },
 *   customerIds: ["A", "B"],
 *   levels: ["lapsed", "loyal"],
 *   cutoff: "2011-01-01",
 *   windowEnd: "2012-01-01",
 *   score: {
 *     min: 300,
 *     max: 850,
 *     levelWeights: [0, 1],
 *     bands: [{ name: "A", minScore: 575, maxScore: 850 }, { name: "B", minScore: 300, maxScore: 575 }],
 *   },
 *   limits: { maxDays: 36525, maxFrequency: 100000, maxMoney: 10000000 },
 *   dataset: "demo",
 * };
 * const { model, info } = parseModelFile(json, "demo.json");
 * equal(model.knn.k, 1);
 * equal(info.dataset, "demo");
 * throws(() => parseModelFile({ ...json, version: 3 }, "demo.json"), /format version 3/);
 * throws(() => parseModelFile({ ...json, features: ["shoe_size"] }), /features\[0\]: unknown feature/);
 * ```
 *
 * @param json the parsed model file
 * @param source where it came from, for the messages (a file path)
 * @throws {ModelFileError} naming the key at fault
 */
export function parseModelFile(json: unknown, source = "model"): ModelFile {
  const r: Reader = new Reader(source);
  const o = r.obj(json, "");
  if (o.kind !== MODEL_KIND) {
    r.fail(
      "kind",
      `this is not a loyalty model file (kind ${JSON.stringify(o.kind ?? null)}, expected ` +
        `"${MODEL_KIND}")`,
    );
  }
  const version = (o.version === undefined ? 1 : o.version) as LoyaltyModel["version"];
  if (!READABLE_VERSIONS.includes(version)) {
    r.fail(
      "version",
      `model format version ${JSON.stringify(version)} is not supported (this workspace reads ` +
        `versions ${
          READABLE_VERSIONS.join(" and ")
        }); rebuild the model with \`deno task build\` ` +
        `or use the workspace version that wrote it`,
    );
  }

  const features = r.strings(o.features, "features", 1);
  features.forEach((f, i) => {
    if (!FEATURE_NAMES.includes(f)) {
      r.fail(`features[${i}]`, `unknown feature "${f}" (known: ${FEATURE_NAMES.join(", ")})`);
    }
  });
  const d = features.length;

  const s = r.obj(o.scaler, "scaler");
  const names = r.strings(s.names, "scaler.names", 1);
  if (names.join("\u0000") !== features.join("\u0000")) {
    r.fail("scaler.names", `expected the model's features in order (${features.join(", ")})`);
  }
  const logArr = r.arr(s.log, "scaler.log");
  if (logArr.length !== d || !logArr.every((x) => typeof x === "boolean")) {
    r.fail("scaler.log", `expected ${d} booleans`);
  }
  const means = r.numbers(s.means, "scaler.means", d);
  const stds = r.numbers(s.stds, "scaler.stds", d);
  stds.forEach((x, j) => {
    if (!(x > 0)) r.fail(`scaler.stds[${j}]`, `expected a positive number, got ${x}`);
  });

  const levels = r.strings(o.levels, "levels", 2);
  const C = levels.length;

  const k = r.obj(o.knn, "knn");
  const points = r.arr(k.points, "knn.points");
  const n = points.length;
  if (n === 0) r.fail("knn.points", "expected at least one training point");
  const pts: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i] as unknown[];
    if (!Array.isArray(p) || p.length !== d) {
      r.fail(`knn.points[${i}]`, `expected ${d} numbers (one per feature)`);
    }
    for (let j = 0; j < d; j++) {
      if (typeof p[j] !== "number" || !Number.isFinite(p[j])) {
        r.fail(`knn.points[${i}][${j}]`, `expected a finite number, got ${typeName(p[j])}`);
      }
    }
    pts[i] = p as number[];
  }
  const nClasses = r.int(k.nClasses, "knn.nClasses", 2);
  if (nClasses !== C) r.fail("knn.nClasses", `expected ${C} (one class per level)`);
  const labelsArr = r.arr(k.labels, "knn.labels");
  if (labelsArr.length !== n) {
    r.fail("knn.labels", `expected ${n} labels (one per training point), got ${labelsArr.length}`);
  }
  const labels = labelsArr.map((x, i) => r.int(x, `knn.labels[${i}]`, 0, C - 1));
  const kk = r.int(k.k, "knn.k", 1);
  const weighting = k.weighting;
  if (weighting !== "uniform" && weighting !== "distance") {
    r.fail("knn.weighting", `expected "uniform" or "distance", got ${JSON.stringify(weighting)}`);
  }
  const ids = r.arr(o.customerIds, "customerIds");
  if (ids.length !== n) {
    r.fail("customerIds", `expected ${n} customer ids (one per training point), got ${ids.length}`);
  }
  const customerIds = ids.map((x, i) => r.str(x, `customerIds[${i}]`));

  const cutoff = r.str(o.cutoff, "cutoff");
  if (!ISO_DATE.test(cutoff)) r.fail("cutoff", `expected an ISO date, got "${cutoff}"`);
  const windowEnd = r.str(o.windowEnd, "windowEnd");
  if (!ISO_DATE.test(windowEnd)) r.fail("windowEnd", `expected an ISO date, got "${windowEnd}"`);

  const sc = r.obj(o.score, "score");
  const min = r.num(sc.min, "score.min");
  const max = r.num(sc.max, "score.max");
  if (!(max > min)) r.fail("score.max", `must exceed score.min (${min})`);
  const levelWeights = r.numbers(sc.levelWeights, "score.levelWeights", C);
  const bandsArr = r.arr(sc.bands, "score.bands");
  if (bandsArr.length === 0) r.fail("score.bands", "expected at least one band");
  const bands = bandsArr.map((b, i) => {
    const bo = r.obj(b, `score.bands[${i}]`);
    return {
      name: r.str(bo.name, `score.bands[${i}].name`),
      minScore: r.num(bo.minScore, `score.bands[${i}].minScore`),
      maxScore: r.num(bo.maxScore, `score.bands[${i}].maxScore`),
    };
  });

  const lim = r.obj(o.limits, "limits");
  const positive = (v: unknown, key: string) => {
    const x = r.num(v, key);
    if (!(x > 0)) r.fail(key, `expected a positive number, got ${x}`);
    return x;
  };
  const limits = {
    maxDays: positive(lim.maxDays, "limits.maxDays"),
    maxFrequency: positive(lim.maxFrequency, "limits.maxFrequency"),
    maxMoney: positive(lim.maxMoney, "limits.maxMoney"),
  };

  const libs = o.libraries === undefined || o.libraries === null
    ? {}
    : r.obj(o.libraries, "libraries");
  const libraries: Record<string, string> = {};
  for (const [name, v] of Object.entries(libs)) libraries[name] = String(v);

  const v2 = version === 2 ? readVersion2(r, o, k, n, d, C) : {};
  const model: LoyaltyModel = {
    kind: MODEL_KIND,
    version,
    features,
    ...v2.model,
    scaler: { names, log: logArr as boolean[], means, stds },
    knn: { k: kk, weighting, nClasses, points: pts, labels, ...v2.knn },
    customerIds,
    levels,
    cutoff,
    windowEnd,
    score: { min, max, levelWeights, bands },
    limits,
  };
  const currency = r.optionalStr(o.currency, "currency");
  if (currency !== null) model.currency = currency;
  return {
    model,
    info: {
      formatVersion: version,
      dataset: r.optionalStr(o.dataset, "dataset"),
      trainingFingerprint: r.optionalStr(o.trainingFingerprint, "trainingFingerprint"),
      trainedOn: r.optionalStr(o.trainedOn, "trainedOn"),
      libraries,
    },
  };
}

/** The fields version 2 adds: checked for shape, passed on as they are. */
function readVersion2(
  r: Reader,
  o: Record<string, unknown>,
  k: Record<string, unknown>,
  n: number,
  d: number,
  C: number,
): { model?: Partial<LoyaltyModel>; knn?: Partial<LoyaltyModel["knn"]> } {
  const lookbackDays = r.int(o.lookbackDays, "lookbackDays", 1);
  const model: Partial<LoyaltyModel> = { lookbackDays };
  if (o.decisionWeights !== undefined && o.decisionWeights !== null) {
    model.decisionWeights = r.numbers(o.decisionWeights, "decisionWeights", C);
  }
  if (o.calibration !== undefined && o.calibration !== null) {
    model.calibration = r.obj(
      o.calibration,
      "calibration",
    ) as unknown as LoyaltyModel["calibration"];
  }
  const knn: Partial<LoyaltyModel["knn"]> = {};
  if (k.counts !== undefined) {
    const counts = r.arr(k.counts, "knn.counts");
    if (counts.length !== n) r.fail("knn.counts", `expected ${n} rows (one per training point)`);
    knn.counts = counts.map((c, i) => r.numbers(c, `knn.counts[${i}]`, C));
  }
  if (k.featureWeights !== undefined) {
    knn.featureWeights = r.numbers(k.featureWeights, "knn.featureWeights", d);
  }
  if (k.offset !== undefined) knn.offset = r.num(k.offset, "knn.offset");
  return { model, knn };
}

/**
 * Refuses a model whose features differ from the ones expected (as a set: the scoring module
 * takes values by name, so their order does not matter).
 *
 * @example
 * ```ts
 * import { checkFeatureSet } from "./model_file.ts";
 * import { throws } from "node:assert/strict";
 * checkFeatureSet({ features: ["frequency", "monetary"] }, ["monetary", "frequency"]); // fine
 * throws(
 *   () => checkFeatureSet({ features: ["frequency"] }, ["frequency", "tenure_days"], "shop.json"),
 *   /lacks tenure_days/,
 * );
 * ```
 *
 * @param model the model (its `features`)
 * @param expected the features the data is prepared for (a dataset's `model.features`)
 * @param source what `expected` comes from, for the message
 * @param modelSource where the model came from (a file path), prefixed to the message
 * @throws {ModelFileError} listing the features missing on either side
 */
export function checkFeatureSet(
  model: Pick<LoyaltyModel, "features">,
  expected: readonly string[],
  source = "the dataset configuration",
  modelSource = "model",
): void {
  const lacks = expected.filter((f) => !model.features.includes(f));
  const extra = model.features.filter((f) => !expected.includes(f));
  if (lacks.length === 0 && extra.length === 0) return;
  const parts = [
    lacks.length ? `the model lacks ${lacks.join(", ")}` : "",
    extra.length ? `the model also uses ${extra.join(", ")}` : "",
  ].filter(Boolean);
  throw new ModelFileError(
    "features",
    `the model's features (${model.features.join(", ")}) do not match ${source} ` +
      `(model.features: ${expected.join(", ")}): ${parts.join("; ")}. Score with the dataset ` +
      `description the model was built from (same model.features), or rebuild the model`,
    modelSource,
  );
}
