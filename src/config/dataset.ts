/**
 * Dataset configuration: the types of a dataset description and a strict validator.
 *
 * A dataset is described by plain JSON (see `data/datasets.json` and the README). The validator
 * is pure: it takes parsed JSON and returns a typed, defaulted {@link DatasetConfig}, or throws a
 * {@link ConfigError} that names the offending key path (for example
 * `datasets[1].files[0].columns.quantity`). Unknown keys are errors, so a typo never silently
 * falls back to a default.
 *
 * @module
 */
import { FEATURE_NAMES } from "./features.ts";

/** Canonical transaction columns that a source file may map. */
export const MAPPABLE_COLUMNS = [
  "invoice",
  "stock_code",
  "description",
  "quantity",
  "timestamp",
  "unit_price",
  "line_value",
  "customer_id",
  "country",
] as const;

/** A canonical column name that a source file can map onto. */
export type MappableColumn = typeof MAPPABLE_COLUMNS[number];

/** Supported input file formats. */
export const FORMATS = ["parquet", "csv", "tsv", "whitespace"] as const;

/** A supported input file format. */
export type FileFormat = typeof FORMATS[number];

/** One input file of a dataset. */
export interface FileConfig {
  /** File name; resolved through `data/raw/`, the mirror, then the download. */
  name: string;
  /** Path below the mirror directory (default: `name`). */
  mirrorPath: string;
  /** Explicit path or glob (relative to the configuration file); bypasses resolution. */
  path: string | null;
  /** Expected sha256 of the file (hex); `null` means not checked. */
  sha256: string | null;
  /** Expected number of data rows; `null` means not checked. */
  rows: number | null;
  /** File format. */
  format: FileFormat;
  /** Whether a text file has a header line (default true; whitespace files default false). */
  header: boolean;
  /** Field names for a header-less text file, in order. */
  fields: string[] | null;
  /** Sheet name inside the downloaded workbook that holds this file's rows. */
  sheet: string | null;
  /** Expected data rows of that sheet in the official download (default: `rows`). */
  sheetRows: number | null;
  /** Mapping canonical column → source column. */
  columns: Partial<Record<MappableColumn, string>>;
  /** strftime format for string timestamps (default `%Y-%m-%d %H:%M:%S`). */
  timestampFormat: string;
}

/** How to fetch a dataset from its official source when no local or mirror copy exists. */
export interface DownloadConfig {
  /** Address of the archive. */
  url: string;
  /** Expected sha256 of the archive; `null` means unknown (the download is refused). */
  sha256: string | null;
  /** Archive kind: a zip with one workbook whose sheets are the files, or a zip with text files. */
  kind: "zip-xlsx" | "zip-text";
  /** Name of the member inside the zip. */
  member: string;
}

/** Cleaning options of a dataset. */
export interface CleaningConfig {
  /** Stock codes that are not products (postage, fees, manual lines, …). */
  nonProductCodes: string[];
  /** Regular expressions; a stock code matching any is not a product. */
  nonProductPatterns: string[];
  /** Drop exact duplicate lines (default true; turn off where identical lines can be genuine). */
  dropExactDuplicates: boolean;
  /** Outlier rules. */
  outliers: {
    /** Drop purchase lines that a later cancellation reverses exactly (default true). */
    matchCancelledOrders: boolean;
    /**
     * Drop lines whose log10 line value lies more than this many scaled median absolute
     * deviations from the median (default 8; `null` disables the rule).
     */
    logValueMadMultiplier: number | null;
  };
}

/** RFM scoring options. */
export interface RfmConfig {
  /** Number of score bins (default 5). */
  bins: number;
  /** Custom upper cut points per metric (`bins - 1` increasing numbers), or null for quantiles. */
  cutPoints: {
    recency_days?: number[];
    frequency?: number[];
    monetary?: number[];
  } | null;
}

/** Model options (segmentation and loyalty prediction). */
export interface ModelConfig {
  /** Master seed for every random choice. */
  seed: number;
  /** Customer feature columns used by the models. */
  features: string[];
  /** Features transformed with log1p before standardisation. */
  logFeatures: string[];
  /** K-Means options. */
  kmeans: {
    kMin: number;
    kMax: number;
    restarts: number;
    maxIterations: number;
    /** Fixed k (overrides the selection rule) or null. */
    k: number | null;
    /** Silhouette on a fixed-seed sample of this many customers, or null for all. */
    silhouetteSample: number | null;
    stabilitySeeds: number;
  };
  /** Forward-looking loyalty label. */
  forward: {
    /** First day of the outcome window (ISO date); features use only earlier transactions. */
    cutoff: string;
    /** First day after the outcome window (ISO date). */
    windowEnd: string;
    /** Ordered level names, lowest first. */
    levels: string[];
    /** Minimum invoices in the window to be above the lowest level. */
    occasionalMinInvoices: number;
    /** Minimum invoices in the window to reach the top level. */
    loyalMinInvoices: number;
  };
  /** KNN tuning options. */
  knn: {
    kGrid: number[];
    weights: ("uniform" | "distance")[];
    folds: number;
    testShare: number;
  };
  /** Score scale. */
  score: { min: number; max: number; bands: string[] };
}

/** A fully validated and defaulted dataset description. */
export interface DatasetConfig {
  id: string;
  title: string;
  description: string;
  source: { citation: string; url: string; licence: string };
  /** IANA time zone of the source timestamps; they are converted to UTC. */
  timezone: string;
  currency: string;
  /** Analysis date (ISO date) or null for the day after the last transaction. */
  analysisDate: string | null;
  /** Output folders, relative to the workspace root. */
  outputs: { reports: string; processed: string };
  download: DownloadConfig | null;
  files: FileConfig[];
  cleaning: CleaningConfig;
  rfm: RfmConfig;
  model: ModelConfig;
  /** Folder that relative `files[].path` entries are resolved against. */
  baseDir: string;
}

/** The workspace's dataset registry (`data/datasets.json`). */
export interface Registry {
  default: string;
  datasets: DatasetConfig[];
}

/** A configuration mistake, naming the key path at fault. */
export class ConfigError extends Error {
  /** Key path such as `datasets[0].files[1].columns`. */
  readonly key: string;
  /** @param key key path at fault @param message what is wrong */
  constructor(key: string, message: string, source?: string) {
    super(`${source ? source + ": " : ""}${key}: ${message}`);
    this.name = "ConfigError";
    this.key = key;
  }
}

type Json = unknown;
type Obj = Record<string, Json>;

/** Joins a key path and a key. */
function join(key: string, k: string): string {
  return key ? `${key}.${k}` : k;
}

function isObj(v: Json): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function obj(v: Json, key: string): Obj {
  if (!isObj(v)) throw new ConfigError(key, `expected an object, got ${typeName(v)}`);
  return v;
}

function typeName(v: Json): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

function known(o: Obj, key: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(
        key ? join(key, k) : k,
        `unknown key (allowed: ${allowed.join(", ")})`,
      );
    }
  }
}

function str(o: Obj, k: string, key: string, def?: string): string {
  const v = o[k];
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== "string" || v.length === 0) {
    throw new ConfigError(join(key, k), `expected a non-empty string, got ${typeName(v)}`);
  }
  return v;
}

function strOrNull(o: Obj, k: string, key: string): string | null {
  const v = o[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") {
    throw new ConfigError(join(key, k), `expected a string or null, got ${typeName(v)}`);
  }
  return v;
}

function num(
  o: Obj,
  k: string,
  key: string,
  def: number,
  opts: { int?: boolean; min?: number; max?: number } = {},
): number {
  const v = o[k] === undefined ? def : o[k];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ConfigError(join(key, k), `expected a number, got ${typeName(v)}`);
  }
  if (opts.int && !Number.isInteger(v)) throw new ConfigError(join(key, k), "expected an integer");
  if (opts.min !== undefined && v < opts.min) {
    throw new ConfigError(join(key, k), `must be at least ${opts.min}, got ${v}`);
  }
  if (opts.max !== undefined && v > opts.max) {
    throw new ConfigError(join(key, k), `must be at most ${opts.max}, got ${v}`);
  }
  return v;
}

function bool(o: Obj, k: string, key: string, def: boolean): boolean {
  const v = o[k] === undefined ? def : o[k];
  if (typeof v !== "boolean") {
    throw new ConfigError(join(key, k), `expected true or false, got ${typeName(v)}`);
  }
  return v;
}

function strArray(o: Obj, k: string, key: string, def: string[]): string[] {
  const v = o[k] === undefined ? def : o[k];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new ConfigError(join(key, k), "expected an array of strings");
  }
  return [...(v as string[])];
}

function numArray(v: Json, key: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number" || !Number.isFinite(x))) {
    throw new ConfigError(key, "expected an array of numbers");
  }
  return v as number[];
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isoDate(v: string | null, key: string): string | null {
  if (v === null) return null;
  const t = Date.parse(v + "T00:00:00Z");
  if (!ISO_DATE.test(v) || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== v) {
    throw new ConfigError(key, `expected an ISO date YYYY-MM-DD, got "${v}"`);
  }
  return v;
}

function validTimeZone(tz: string, key: string): string {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: tz });
  } catch {
    throw new ConfigError(key, `unknown time zone "${tz}"`);
  }
  return tz;
}

const STRFTIME = /%[YmdHMSyjbBeIpfzZT%]/;

function parseFile(v: Json, key: string): FileConfig {
  const o = obj(v, key || "(dataset)");
  known(o, key, [
    "name",
    "mirrorPath",
    "path",
    "sha256",
    "rows",
    "format",
    "header",
    "fields",
    "sheet",
    "sheetRows",
    "columns",
    "timestampFormat",
  ]);
  const path = strOrNull(o, "path", key);
  const name = o.name === undefined && path ? path.split("/").pop()! : str(o, "name", key);
  const format = str(o, "format", key) as FileFormat;
  if (!FORMATS.includes(format)) {
    throw new ConfigError(
      `${key}.format`,
      `unknown format "${format}" (allowed: ${FORMATS.join(", ")})`,
    );
  }
  const sha = strOrNull(o, "sha256", key);
  if (sha !== null && !/^[0-9a-f]{64}$/.test(sha)) {
    throw new ConfigError(`${key}.sha256`, "expected 64 lowercase hexadecimal digits");
  }
  const rows = o.rows === undefined || o.rows === null
    ? null
    : num(o, "rows", key, 0, { int: true, min: 0 });
  const fields = o.fields === undefined || o.fields === null
    ? null
    : strArray(o, "fields", key, []);
  const header = bool(o, "header", key, format !== "whitespace");
  if (!header && format !== "parquet" && fields === null) {
    throw new ConfigError(
      `${key}.fields`,
      "a file without a header line needs its field names in `fields`",
    );
  }
  const colsObj = obj(o.columns, `${key}.columns`);
  known(colsObj, `${key}.columns`, MAPPABLE_COLUMNS);
  const columns: Partial<Record<MappableColumn, string>> = {};
  for (const [k, c] of Object.entries(colsObj)) {
    if (typeof c !== "string" || c.length === 0) {
      throw new ConfigError(
        `${key}.columns.${k}`,
        `expected a source column name, got ${typeName(c)}`,
      );
    }
    if (fields !== null && !fields.includes(c)) {
      throw new ConfigError(
        `${key}.columns.${k}`,
        `"${c}" is not one of the declared fields (${fields.join(", ")})`,
      );
    }
    columns[k as MappableColumn] = c;
  }
  for (const required of ["customer_id", "timestamp", "quantity"] as const) {
    if (!columns[required]) {
      throw new ConfigError(`${key}.columns.${required}`, "missing column mapping (required)");
    }
  }
  if (!columns.unit_price && !columns.line_value) {
    throw new ConfigError(
      `${key}.columns.unit_price`,
      "missing column mapping: map unit_price or line_value",
    );
  }
  const timestampFormat = str(o, "timestampFormat", key, "%Y-%m-%d %H:%M:%S");
  if (!STRFTIME.test(timestampFormat)) {
    throw new ConfigError(
      `${key}.timestampFormat`,
      `"${timestampFormat}" has no strftime directive such as %Y`,
    );
  }
  return {
    name,
    mirrorPath: o.mirrorPath === undefined ? name : str(o, "mirrorPath", key),
    path,
    sha256: sha,
    rows,
    format,
    header,
    fields,
    sheet: strOrNull(o, "sheet", key),
    sheetRows: o.sheetRows === undefined || o.sheetRows === null
      ? rows
      : num(o, "sheetRows", key, 0, { int: true, min: 0 }),
    columns,
    timestampFormat,
  };
}

/** Default model options, used for any key a dataset leaves out. */
export const DEFAULT_MODEL: ModelConfig = {
  seed: 20261124,
  features: ["recency_days", "frequency", "monetary", "tenure_days", "avg_order_value"],
  logFeatures: ["recency_days", "frequency", "monetary", "tenure_days", "avg_order_value"],
  kmeans: {
    kMin: 2,
    kMax: 10,
    restarts: 10,
    maxIterations: 300,
    k: null,
    silhouetteSample: null,
    stabilitySeeds: 5,
  },
  forward: {
    cutoff: "",
    windowEnd: "",
    levels: ["lapsed", "occasional", "loyal"],
    occasionalMinInvoices: 1,
    loyalMinInvoices: 3,
  },
  knn: {
    kGrid: [1, 3, 5, 7, 9, 11, 15, 21, 31, 41, 51],
    weights: ["uniform", "distance"],
    folds: 5,
    testShare: 0.25,
  },
  score: { min: 300, max: 850, bands: ["A", "B", "C", "D", "E"] },
};

/** Customer feature names the models can use (from the feature registry). */
export const MODEL_FEATURES: readonly string[] = FEATURE_NAMES;

function parseModel(v: Json, key: string): ModelConfig {
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, ["seed", "features", "logFeatures", "kmeans", "forward", "knn", "score"]);
  const d = DEFAULT_MODEL;
  const features = strArray(o, "features", key, d.features);
  for (const [i, f] of features.entries()) {
    if (!MODEL_FEATURES.includes(f)) {
      throw new ConfigError(
        `${key}.features[${i}]`,
        `unknown feature "${f}" (allowed: ${MODEL_FEATURES.join(", ")})`,
      );
    }
  }
  const logFeatures = strArray(o, "logFeatures", key, d.logFeatures);
  for (const [i, f] of logFeatures.entries()) {
    if (!features.includes(f)) {
      throw new ConfigError(`${key}.logFeatures[${i}]`, `"${f}" is not in features`);
    }
  }
  const km = o.kmeans === undefined ? {} : obj(o.kmeans, `${key}.kmeans`);
  const kk = `${key}.kmeans`;
  known(km, kk, [
    "kMin",
    "kMax",
    "restarts",
    "maxIterations",
    "k",
    "silhouetteSample",
    "stabilitySeeds",
  ]);
  const kMin = num(km, "kMin", kk, d.kmeans.kMin, { int: true, min: 2 });
  const kMax = num(km, "kMax", kk, d.kmeans.kMax, { int: true, min: kMin });
  const fw = obj(o.forward ?? {}, `${key}.forward`);
  const fk = `${key}.forward`;
  known(fw, fk, ["cutoff", "windowEnd", "levels", "occasionalMinInvoices", "loyalMinInvoices"]);
  const cutoff = isoDate(str(fw, "cutoff", fk), `${fk}.cutoff`)!;
  const windowEnd = isoDate(str(fw, "windowEnd", fk), `${fk}.windowEnd`)!;
  if (windowEnd <= cutoff) {
    throw new ConfigError(`${fk}.windowEnd`, `must be after cutoff ${cutoff}`);
  }
  const levels = strArray(fw, "levels", fk, d.forward.levels);
  if (levels.length !== 3) {
    throw new ConfigError(`${fk}.levels`, "expected exactly three level names, lowest first");
  }
  const occ = num(fw, "occasionalMinInvoices", fk, d.forward.occasionalMinInvoices, {
    int: true,
    min: 1,
  });
  const loyal = num(fw, "loyalMinInvoices", fk, d.forward.loyalMinInvoices, {
    int: true,
    min: occ + 1,
  });
  const kn = obj(o.knn ?? {}, `${key}.knn`);
  const nk = `${key}.knn`;
  known(kn, nk, ["kGrid", "weights", "folds", "testShare"]);
  const kGrid = kn.kGrid === undefined ? [...d.knn.kGrid] : numArray(kn.kGrid, `${nk}.kGrid`);
  if (kGrid.length === 0 || kGrid.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new ConfigError(`${nk}.kGrid`, "expected positive integers");
  }
  const weights = strArray(kn, "weights", nk, d.knn.weights);
  for (const [i, w] of weights.entries()) {
    if (w !== "uniform" && w !== "distance") {
      throw new ConfigError(`${nk}.weights[${i}]`, `expected "uniform" or "distance", got "${w}"`);
    }
  }
  const sc = obj(o.score ?? {}, `${key}.score`);
  const sk = `${key}.score`;
  known(sc, sk, ["min", "max", "bands"]);
  const sMin = num(sc, "min", sk, d.score.min);
  const sMax = num(sc, "max", sk, d.score.max);
  if (sMax <= sMin) throw new ConfigError(`${sk}.max`, `must exceed min ${sMin}`);
  const bands = strArray(sc, "bands", sk, d.score.bands);
  if (bands.length < 2) throw new ConfigError(`${sk}.bands`, "expected at least two bands");
  return {
    seed: num(o, "seed", key, d.seed, { int: true, min: 0 }),
    features,
    logFeatures,
    kmeans: {
      kMin,
      kMax,
      restarts: num(km, "restarts", kk, d.kmeans.restarts, { int: true, min: 1 }),
      maxIterations: num(km, "maxIterations", kk, d.kmeans.maxIterations, { int: true, min: 1 }),
      k: km.k === undefined || km.k === null ? null : num(km, "k", kk, 0, { int: true, min: 2 }),
      silhouetteSample: km.silhouetteSample === undefined || km.silhouetteSample === null
        ? null
        : num(km, "silhouetteSample", kk, 0, { int: true, min: 10 }),
      stabilitySeeds: num(km, "stabilitySeeds", kk, d.kmeans.stabilitySeeds, { int: true, min: 2 }),
    },
    forward: { cutoff, windowEnd, levels, occasionalMinInvoices: occ, loyalMinInvoices: loyal },
    knn: {
      kGrid,
      weights: weights as ("uniform" | "distance")[],
      folds: num(kn, "folds", nk, d.knn.folds, { int: true, min: 2 }),
      testShare: num(kn, "testShare", nk, d.knn.testShare, { min: 0.05, max: 0.5 }),
    },
    score: { min: sMin, max: sMax, bands },
  };
}

/**
 * Validates one dataset description and fills in defaults.
 *
 * @param v parsed JSON of one dataset
 * @param key key path used in error messages (`datasets[0]`, or `` for a stand-alone file)
 * @param baseDir folder that relative file paths are resolved against
 * @returns the typed configuration
 * @throws {ConfigError} naming the first key at fault
 */
export function parseDataset(v: Json, key = "", baseDir = "."): DatasetConfig {
  const k = (s: string) => (key ? `${key}.${s}` : s);
  const o = obj(v, key || "(dataset)");
  known(o, key, [
    "id",
    "title",
    "description",
    "source",
    "timezone",
    "currency",
    "analysisDate",
    "outputs",
    "download",
    "files",
    "cleaning",
    "rfm",
    "model",
  ]);
  const id = str(o, "id", key);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(id)) {
    throw new ConfigError(
      k("id"),
      `"${id}" must be lowercase letters, digits, dot, dash or underscore`,
    );
  }
  const src = o.source === undefined ? {} : obj(o.source, k("source"));
  known(src, k("source"), ["citation", "url", "licence"]);
  const filesV = o.files;
  if (!Array.isArray(filesV) || filesV.length === 0) {
    throw new ConfigError(k("files"), "expected a non-empty array of files");
  }
  const files = filesV.map((f, i) => parseFile(f, k(`files[${i}]`)));
  const names = new Set<string>();
  for (const [i, f] of files.entries()) {
    if (names.has(f.name)) {
      throw new ConfigError(k(`files[${i}].name`), `duplicate file name "${f.name}"`);
    }
    names.add(f.name);
  }
  let download: DownloadConfig | null = null;
  if (o.download !== undefined && o.download !== null) {
    const dk = k("download");
    const d = obj(o.download, dk);
    known(d, dk, ["url", "sha256", "kind", "member"]);
    const kind = str(d, "kind", dk);
    if (kind !== "zip-xlsx" && kind !== "zip-text") {
      throw new ConfigError(`${dk}.kind`, `expected "zip-xlsx" or "zip-text", got "${kind}"`);
    }
    download = {
      url: str(d, "url", dk),
      sha256: strOrNull(d, "sha256", dk),
      kind,
      member: str(d, "member", dk),
    };
  }
  const cl = o.cleaning === undefined ? {} : obj(o.cleaning, k("cleaning"));
  known(cl, k("cleaning"), [
    "nonProductCodes",
    "nonProductPatterns",
    "dropExactDuplicates",
    "outliers",
  ]);
  const patterns = strArray(cl, "nonProductPatterns", k("cleaning"), []);
  for (const [i, p] of patterns.entries()) {
    if (/\(\?<?[=!]|\\[1-9]/.test(p)) {
      throw new ConfigError(
        k(`cleaning.nonProductPatterns[${i}]`),
        "unsupported regular expression: look-around and backreferences do not run in polars",
      );
    }
    try {
      new RegExp(p);
    } catch (e) {
      throw new ConfigError(
        k(`cleaning.nonProductPatterns[${i}]`),
        `invalid regular expression: ${(e as Error).message}`,
      );
    }
  }
  const ol = cl.outliers === undefined ? {} : obj(cl.outliers, k("cleaning.outliers"));
  known(ol, k("cleaning.outliers"), ["matchCancelledOrders", "logValueMadMultiplier"]);
  const rfmO = o.rfm === undefined ? {} : obj(o.rfm, k("rfm"));
  known(rfmO, k("rfm"), ["bins", "cutPoints"]);
  const bins = num(rfmO, "bins", k("rfm"), 5, { int: true, min: 2, max: 10 });
  let cutPoints: RfmConfig["cutPoints"] = null;
  if (rfmO.cutPoints !== undefined && rfmO.cutPoints !== null) {
    const ck = k("rfm.cutPoints");
    const c = obj(rfmO.cutPoints, ck);
    known(c, ck, ["recency_days", "frequency", "monetary"]);
    cutPoints = {};
    for (const [m, arr] of Object.entries(c)) {
      const cuts = numArray(arr, `${ck}.${m}`);
      if (cuts.length !== bins - 1) {
        throw new ConfigError(`${ck}.${m}`, `expected ${bins - 1} cut points, got ${cuts.length}`);
      }
      for (let i = 1; i < cuts.length; i++) {
        if (!(cuts[i] > cuts[i - 1])) {
          throw new ConfigError(`${ck}.${m}`, "cut points must be strictly increasing");
        }
      }
      cutPoints[m as keyof NonNullable<RfmConfig["cutPoints"]>] = cuts;
    }
  }
  const outputsO = o.outputs === undefined ? {} : obj(o.outputs, k("outputs"));
  known(outputsO, k("outputs"), ["reports", "processed"]);
  const madV = ol.logValueMadMultiplier;
  const optionalText = (o2: Obj, key2: string, path: string): string => {
    const v2 = o2[key2];
    if (v2 === undefined) return "";
    if (typeof v2 !== "string") {
      throw new ConfigError(path, `expected a string, got ${typeName(v2)}`);
    }
    return v2;
  };
  return {
    id,
    title: str(o, "title", key, id),
    description: optionalText(o, "description", k("description")),
    source: {
      citation: optionalText(src, "citation", k("source.citation")),
      url: optionalText(src, "url", k("source.url")),
      licence: optionalText(src, "licence", k("source.licence")),
    },
    timezone: validTimeZone(str(o, "timezone", key, "UTC"), k("timezone")),
    currency: str(o, "currency", key, "GBP"),
    analysisDate: isoDate(strOrNull(o, "analysisDate", key), k("analysisDate")),
    outputs: {
      reports: str(outputsO, "reports", k("outputs"), `reports/${id}`),
      processed: str(outputsO, "processed", k("outputs"), `data/processed/${id}`),
    },
    download,
    files,
    cleaning: {
      nonProductCodes: strArray(cl, "nonProductCodes", k("cleaning"), []),
      nonProductPatterns: patterns,
      dropExactDuplicates: bool(cl, "dropExactDuplicates", k("cleaning"), true),
      outliers: {
        matchCancelledOrders: bool(ol, "matchCancelledOrders", k("cleaning.outliers"), true),
        logValueMadMultiplier: madV === null
          ? null
          : num(ol, "logValueMadMultiplier", k("cleaning.outliers"), 8, { min: 1 }),
      },
    },
    rfm: { bins, cutPoints },
    model: parseModel(o.model, k("model")),
    baseDir,
  };
}

/**
 * Validates the dataset registry (`data/datasets.json`).
 *
 * @param v parsed JSON
 * @param baseDir folder of the registry file
 * @throws {ConfigError} naming the key at fault
 */
export function parseRegistry(v: Json, baseDir = "."): Registry {
  const o = obj(v, "(registry)");
  known(o, "", ["default", "datasets"]);
  if (!Array.isArray(o.datasets) || o.datasets.length === 0) {
    throw new ConfigError("datasets", "expected a non-empty array");
  }
  const datasets = o.datasets.map((d, i) => parseDataset(d, `datasets[${i}]`, baseDir));
  const ids = new Set<string>();
  for (const [i, d] of datasets.entries()) {
    if (ids.has(d.id)) throw new ConfigError(`datasets[${i}].id`, `duplicate id "${d.id}"`);
    ids.add(d.id);
  }
  const def = str(o, "default", "", datasets[0].id);
  if (!ids.has(def)) throw new ConfigError("default", `no dataset has id "${def}"`);
  return { default: def, datasets };
}
