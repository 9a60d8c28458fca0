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
import { ConfigError } from "./errors.ts";
import { FEATURE_NAMES } from "./features.ts";
import {
  bool,
  intOrNull,
  isoDate,
  type Json,
  keyPath,
  known,
  num,
  numArray,
  type Obj,
  obj,
  optionalText,
  str,
  strArray,
  strOrNull,
  typeName,
  validTimeZone,
} from "./json.ts";

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

// ---------------------------------------------------------------------------------------------
// Parsers, one per section of a dataset description. Each takes the section's JSON and its key
// path, and returns the typed, defaulted section or throws a ConfigError naming the key.

const DATASET_KEYS = [
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
] as const;

const FILE_KEYS = [
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
] as const;

const STRFTIME = /%[YmdHMSyjbBeIpfzZT%]/;

/** The dataset id: lowercase letters, digits, dot, dash or underscore. */
function parseId(o: Obj, key: string): string {
  const id = str(o, "id", key);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(id)) {
    throw new ConfigError(
      keyPath(key, "id"),
      `"${id}" must be lowercase letters, digits, dot, dash or underscore`,
    );
  }
  return id;
}

/** `source`: citation, address and licence, each optional text. */
function parseSource(v: Json, key: string): DatasetConfig["source"] {
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, ["citation", "url", "licence"]);
  return {
    citation: optionalText(o, "citation", `${key}.citation`),
    url: optionalText(o, "url", `${key}.url`),
    licence: optionalText(o, "licence", `${key}.licence`),
  };
}

/** `files`: a non-empty array of file entries with distinct names. */
function parseFiles(v: Json, key: string): FileConfig[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new ConfigError(key, "expected a non-empty array of files");
  }
  const files = v.map((f, i) => parseFile(f, `${key}[${i}]`));
  const names = new Set<string>();
  for (const [i, f] of files.entries()) {
    if (names.has(f.name)) {
      throw new ConfigError(`${key}[${i}].name`, `duplicate file name "${f.name}"`);
    }
    names.add(f.name);
  }
  return files;
}

/** One entry of `files`. */
function parseFile(v: Json, key: string): FileConfig {
  const o = obj(v, key || "(dataset)");
  known(o, key, FILE_KEYS);
  const path = strOrNull(o, "path", key);
  const name = o.name === undefined && path ? path.split("/").pop()! : str(o, "name", key);
  const format = str(o, "format", key) as FileFormat;
  if (!FORMATS.includes(format)) {
    throw new ConfigError(
      `${key}.format`,
      `unknown format "${format}" (allowed: ${FORMATS.join(", ")})`,
    );
  }
  const sha256 = strOrNull(o, "sha256", key);
  if (sha256 !== null && !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new ConfigError(`${key}.sha256`, "expected 64 lowercase hexadecimal digits");
  }
  const rows = intOrNull(o, "rows", key, 0);
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
  const columns = parseColumns(o.columns, `${key}.columns`, fields);
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
    sha256,
    rows,
    format,
    header,
    fields,
    sheet: strOrNull(o, "sheet", key),
    sheetRows: intOrNull(o, "sheetRows", key, 0) ?? rows,
    columns,
    timestampFormat,
  };
}

/**
 * A file's `columns`: canonical column → source column, each one of the declared `fields` when
 * there are any; customer, timestamp and quantity are required, and unit price or line value.
 */
function parseColumns(
  v: Json,
  key: string,
  fields: string[] | null,
): Partial<Record<MappableColumn, string>> {
  const o = obj(v, key);
  known(o, key, MAPPABLE_COLUMNS);
  const columns: Partial<Record<MappableColumn, string>> = {};
  for (const [k, c] of Object.entries(o)) {
    if (typeof c !== "string" || c.length === 0) {
      throw new ConfigError(`${key}.${k}`, `expected a source column name, got ${typeName(c)}`);
    }
    if (fields !== null && !fields.includes(c)) {
      throw new ConfigError(
        `${key}.${k}`,
        `"${c}" is not one of the declared fields (${fields.join(", ")})`,
      );
    }
    columns[k as MappableColumn] = c;
  }
  for (const required of ["customer_id", "timestamp", "quantity"] as const) {
    if (!columns[required]) {
      throw new ConfigError(`${key}.${required}`, "missing column mapping (required)");
    }
  }
  if (!columns.unit_price && !columns.line_value) {
    throw new ConfigError(
      `${key}.unit_price`,
      "missing column mapping: map unit_price or line_value",
    );
  }
  return columns;
}

/** `download`, or null when absent or null. */
function parseDownload(v: Json, key: string): DownloadConfig | null {
  if (v === undefined || v === null) return null;
  const d = obj(v, key);
  known(d, key, ["url", "sha256", "kind", "member"]);
  const kind = str(d, "kind", key);
  if (kind !== "zip-xlsx" && kind !== "zip-text") {
    throw new ConfigError(`${key}.kind`, `expected "zip-xlsx" or "zip-text", got "${kind}"`);
  }
  return {
    url: str(d, "url", key),
    sha256: strOrNull(d, "sha256", key),
    kind,
    member: str(d, "member", key),
  };
}

/** `cleaning`: non-product codes and patterns, duplicates, outlier rules. */
function parseCleaning(v: Json, key: string): CleaningConfig {
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, ["nonProductCodes", "nonProductPatterns", "dropExactDuplicates", "outliers"]);
  const patterns = parseNonProductPatterns(o, key);
  const ok = `${key}.outliers`;
  const ol = o.outliers === undefined ? {} : obj(o.outliers, ok);
  known(ol, ok, ["matchCancelledOrders", "logValueMadMultiplier"]);
  return {
    nonProductCodes: strArray(o, "nonProductCodes", key, []),
    nonProductPatterns: patterns,
    dropExactDuplicates: bool(o, "dropExactDuplicates", key, true),
    outliers: {
      matchCancelledOrders: bool(ol, "matchCancelledOrders", ok, true),
      logValueMadMultiplier: ol.logValueMadMultiplier === null
        ? null
        : num(ol, "logValueMadMultiplier", ok, 8, { min: 1 }),
    },
  };
}

/**
 * `cleaning.nonProductPatterns`: regular expressions that both JavaScript and the cleaning engine
 * (polars, Rust `regex`) can run, so no look-around and no backreferences.
 */
function parseNonProductPatterns(cleaning: Obj, key: string): string[] {
  const patterns = strArray(cleaning, "nonProductPatterns", key, []);
  for (const [i, p] of patterns.entries()) {
    const at = `${key}.nonProductPatterns[${i}]`;
    if (/\(\?<?[=!]|\\[1-9]/.test(p)) {
      throw new ConfigError(
        at,
        "unsupported regular expression: look-around and backreferences do not run in polars",
      );
    }
    try {
      new RegExp(p);
    } catch (e) {
      throw new ConfigError(at, `invalid regular expression: ${(e as Error).message}`);
    }
  }
  return patterns;
}

/** `rfm`: the number of score bins and optional custom cut points. */
function parseRfm(v: Json, key: string): RfmConfig {
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, ["bins", "cutPoints"]);
  const bins = num(o, "bins", key, 5, { int: true, min: 2, max: 10 });
  return { bins, cutPoints: parseCutPoints(o.cutPoints, `${key}.cutPoints`, bins) };
}

/** `rfm.cutPoints`: per metric, `bins - 1` strictly increasing numbers; null when absent. */
function parseCutPoints(v: Json, key: string, bins: number): RfmConfig["cutPoints"] {
  if (v === undefined || v === null) return null;
  const c = obj(v, key);
  known(c, key, ["recency_days", "frequency", "monetary"]);
  const cutPoints: NonNullable<RfmConfig["cutPoints"]> = {};
  for (const [m, arr] of Object.entries(c)) {
    const cuts = numArray(arr, `${key}.${m}`);
    if (cuts.length !== bins - 1) {
      throw new ConfigError(`${key}.${m}`, `expected ${bins - 1} cut points, got ${cuts.length}`);
    }
    for (let i = 1; i < cuts.length; i++) {
      if (!(cuts[i] > cuts[i - 1])) {
        throw new ConfigError(`${key}.${m}`, "cut points must be strictly increasing");
      }
    }
    cutPoints[m as keyof typeof cutPoints] = cuts;
  }
  return cutPoints;
}

/** `outputs`: report and processed-data folders (default `reports/<id>`, `data/processed/<id>`). */
function parseOutputs(v: Json, key: string, id: string): DatasetConfig["outputs"] {
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, ["reports", "processed"]);
  return {
    reports: str(o, "reports", key, `reports/${id}`),
    processed: str(o, "processed", key, `data/processed/${id}`),
  };
}

/** `model`: features, then one parser per sub-section; defaults from {@link DEFAULT_MODEL}. */
function parseModel(v: Json, key: string): ModelConfig {
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, ["seed", "features", "logFeatures", "kmeans", "forward", "knn", "score"]);
  const { features, logFeatures } = parseFeatures(o, key);
  return {
    seed: num(o, "seed", key, DEFAULT_MODEL.seed, { int: true, min: 0 }),
    features,
    logFeatures,
    kmeans: parseKmeans(o.kmeans, `${key}.kmeans`),
    forward: parseForward(o.forward, `${key}.forward`),
    knn: parseKnn(o.knn, `${key}.knn`),
    score: parseScore(o.score, `${key}.score`),
  };
}

/** `model.features` (known feature names) and `model.logFeatures` (a subset of them). */
function parseFeatures(model: Obj, key: string): { features: string[]; logFeatures: string[] } {
  const features = strArray(model, "features", key, DEFAULT_MODEL.features);
  for (const [i, f] of features.entries()) {
    if (!MODEL_FEATURES.includes(f)) {
      throw new ConfigError(
        `${key}.features[${i}]`,
        `unknown feature "${f}" (allowed: ${MODEL_FEATURES.join(", ")})`,
      );
    }
  }
  const logFeatures = strArray(model, "logFeatures", key, DEFAULT_MODEL.logFeatures);
  for (const [i, f] of logFeatures.entries()) {
    if (!features.includes(f)) {
      throw new ConfigError(`${key}.logFeatures[${i}]`, `"${f}" is not in features`);
    }
  }
  return { features, logFeatures };
}

/** `model.kmeans`. */
function parseKmeans(v: Json, key: string): ModelConfig["kmeans"] {
  const d = DEFAULT_MODEL.kmeans;
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, [
    "kMin",
    "kMax",
    "restarts",
    "maxIterations",
    "k",
    "silhouetteSample",
    "stabilitySeeds",
  ]);
  const kMin = num(o, "kMin", key, d.kMin, { int: true, min: 2 });
  return {
    kMin,
    kMax: num(o, "kMax", key, d.kMax, { int: true, min: kMin }),
    restarts: num(o, "restarts", key, d.restarts, { int: true, min: 1 }),
    maxIterations: num(o, "maxIterations", key, d.maxIterations, { int: true, min: 1 }),
    k: intOrNull(o, "k", key, 2),
    silhouetteSample: intOrNull(o, "silhouetteSample", key, 10),
    stabilitySeeds: num(o, "stabilitySeeds", key, d.stabilitySeeds, { int: true, min: 2 }),
  };
}

/** `model.forward`: the outcome window (required) and the level thresholds. */
function parseForward(v: Json, key: string): ModelConfig["forward"] {
  const d = DEFAULT_MODEL.forward;
  const o = obj(v ?? {}, key);
  known(o, key, ["cutoff", "windowEnd", "levels", "occasionalMinInvoices", "loyalMinInvoices"]);
  const cutoff = isoDate(str(o, "cutoff", key), `${key}.cutoff`)!;
  const windowEnd = isoDate(str(o, "windowEnd", key), `${key}.windowEnd`)!;
  if (windowEnd <= cutoff) {
    throw new ConfigError(`${key}.windowEnd`, `must be after cutoff ${cutoff}`);
  }
  const levels = strArray(o, "levels", key, d.levels);
  if (levels.length !== 3) {
    throw new ConfigError(`${key}.levels`, "expected exactly three level names, lowest first");
  }
  const occasional = num(o, "occasionalMinInvoices", key, d.occasionalMinInvoices, {
    int: true,
    min: 1,
  });
  const loyal = num(o, "loyalMinInvoices", key, d.loyalMinInvoices, {
    int: true,
    min: occasional + 1,
  });
  return {
    cutoff,
    windowEnd,
    levels,
    occasionalMinInvoices: occasional,
    loyalMinInvoices: loyal,
  };
}

/** `model.knn`: the k grid, weightings, folds and test share. */
function parseKnn(v: Json, key: string): ModelConfig["knn"] {
  const d = DEFAULT_MODEL.knn;
  const o = obj(v ?? {}, key);
  known(o, key, ["kGrid", "weights", "folds", "testShare"]);
  const kGrid = o.kGrid === undefined ? [...d.kGrid] : numArray(o.kGrid, `${key}.kGrid`);
  if (kGrid.length === 0 || kGrid.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new ConfigError(`${key}.kGrid`, "expected positive integers");
  }
  const weights = strArray(o, "weights", key, d.weights);
  for (const [i, w] of weights.entries()) {
    if (w !== "uniform" && w !== "distance") {
      throw new ConfigError(`${key}.weights[${i}]`, `expected "uniform" or "distance", got "${w}"`);
    }
  }
  return {
    kGrid,
    weights: weights as ("uniform" | "distance")[],
    folds: num(o, "folds", key, d.folds, { int: true, min: 2 }),
    testShare: num(o, "testShare", key, d.testShare, { min: 0.05, max: 0.5 }),
  };
}

/** `model.score`: the score scale and its bands. */
function parseScore(v: Json, key: string): ModelConfig["score"] {
  const d = DEFAULT_MODEL.score;
  const o = obj(v ?? {}, key);
  known(o, key, ["min", "max", "bands"]);
  const min = num(o, "min", key, d.min);
  const max = num(o, "max", key, d.max);
  if (max <= min) throw new ConfigError(`${key}.max`, `must exceed min ${min}`);
  const bands = strArray(o, "bands", key, d.bands);
  if (bands.length < 2) throw new ConfigError(`${key}.bands`, "expected at least two bands");
  return { min, max, bands };
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
  const at = (k: string) => keyPath(key, k);
  const o = obj(v, key || "(dataset)");
  known(o, key, DATASET_KEYS);
  const id = parseId(o, key);
  const source = parseSource(o.source, at("source"));
  const files = parseFiles(o.files, at("files"));
  const download = parseDownload(o.download, at("download"));
  const cleaning = parseCleaning(o.cleaning, at("cleaning"));
  const rfm = parseRfm(o.rfm, at("rfm"));
  const outputs = parseOutputs(o.outputs, at("outputs"), id);
  return {
    id,
    title: str(o, "title", key, id),
    description: optionalText(o, "description", at("description")),
    source,
    timezone: validTimeZone(str(o, "timezone", key, "UTC"), at("timezone")),
    currency: str(o, "currency", key, "GBP"),
    analysisDate: isoDate(strOrNull(o, "analysisDate", key), at("analysisDate")),
    outputs,
    download,
    files,
    cleaning,
    rfm,
    model: parseModel(o.model, at("model")),
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
