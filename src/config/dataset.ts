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
import { feature, FEATURE_NAMES, FEATURES } from "./features.ts";
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
import { excerpt, excerptList } from "../lib/text.ts";

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
  /** Character encoding of a text file (default `utf-8`; see {@link ENCODINGS}). */
  encoding: TextEncoding;
  /**
   * Field values that mean "missing" in this file, compared after trimming, in every column
   * (default: `cleaning.nullWords`).
   */
  nullWords: string[];
}

/** Character encodings of text files (`files[].encoding`; default `utf-8`). */
export const ENCODINGS = ["utf-8", "latin1", "windows-1252", "utf-16"] as const;

/** A character encoding of a text file. */
export type TextEncoding = typeof ENCODINGS[number];

/**
 * Default of `cleaning.nullWords`: the usual spellings of a missing value (pandas, R, SQL and
 * spreadsheet exports). `NA` is left out (it is Namibia's country code); add it where it means
 * missing.
 */
export const DEFAULT_NULL_WORDS: readonly string[] = [
  "nan",
  "NaN",
  "NAN",
  "null",
  "NULL",
  "Null",
  "None",
  "none",
  "NONE",
  "N/A",
  "n/a",
  "#N/A",
  "<NA>",
  "-",
];

/**
 * `cleaning.timestamps` (the plausibility rules of timestamps): defaults and bounds. `notAfter`:
 * the last plausible day (default null: the build date); `bulkMargin`: how far outside the bulk
 * of the data (1st to 99th percentile) a timestamp may lie, in multiples of the bulk's span (at
 * least one year); null disables the rule.
 */
export const TIMESTAMP_CHECKS = {
  notAfter: null,
  bulkMargin: { default: 1, min: 0.25, max: 100 },
} as const;

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

/** Ways of recognising a cancellation or adjustment line (`cleaning.cancellation.rule` …). */
export const LINE_RULE_KINDS = ["prefix", "pattern", "negative-quantity", "off"] as const;

/** How a kind of line (cancellations, bad-debt adjustments) is recognised. */
export interface LineRule {
  /**
   * `prefix`: the invoice starts with `prefix`; `pattern`: the invoice matches the regular
   * expression `pattern`; `negative-quantity`: the quantity is below zero (cancellations only);
   * `off`: no line is one (the rule is skipped).
   */
  rule: typeof LINE_RULE_KINDS[number];
  /** The invoice prefix (rule `prefix`), else null. */
  prefix: string | null;
  /** The regular expression (rule `pattern`), else null. */
  pattern: string | null;
}

/** Default of `cleaning.cancellation`: an invoice starting with C (Online Retail II). */
export const DEFAULT_CANCELLATION: Readonly<LineRule> = {
  rule: "prefix",
  prefix: "C",
  pattern: null,
};

/** Default of `cleaning.adjustment`: an invoice starting with A (Online Retail II). */
export const DEFAULT_ADJUSTMENT: Readonly<LineRule> = {
  rule: "prefix",
  prefix: "A",
  pattern: null,
};

/** Default of `cleaning.warnShare`, and its bounds (inclusive). */
export const WARN_SHARE = { default: 0.1, min: 0, max: 1 } as const;

/** Cleaning options of a dataset. */
export interface CleaningConfig {
  /** Stock codes that are not products (postage, fees, manual lines, …). */
  nonProductCodes: string[];
  /** Regular expressions; a stock code matching any is not a product. */
  nonProductPatterns: string[];
  /** Drop exact duplicate lines (default true; turn off where identical lines can be genuine). */
  dropExactDuplicates: boolean;
  /** Which lines are cancellations (rule 3; default: the invoice starts with C). */
  cancellation: LineRule;
  /** Which lines are bad-debt adjustments (rule 4; default: the invoice starts with A). */
  adjustment: LineRule;
  /**
   * A rule defined by this configuration (cancellation, adjustment, non-product) that drops more
   * than this share of a file's lines is reported as a warning (default 0.1, from 0 to 1).
   */
  warnShare: number;
  /** Default field values meaning "missing", for files without their own `nullWords`. */
  nullWords: string[];
  /** Plausibility of timestamps (rules `future_timestamp`, `implausible_timestamp`). */
  timestamps: {
    /** The last plausible day (ISO date), or null for the build date. */
    notAfter: string | null;
    /** Margin outside the bulk, in bulk spans (see {@link TIMESTAMP_CHECKS}); null: off. */
    bulkMargin: number | null;
  };
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
  /** Recency guards of the segments named for loyalty (see `src/rfm/segments.ts`). */
  guards: RfmGuardConfig;
}

/**
 * `rfm.guards`: a customer stays in a segment named for loyalty ("Champions", "Loyal", …) only
 * with a recency of at most `recencyMultiple` × the typical days between purchases (the median
 * over customers with two or more purchases of (last − first) / (frequency − 1)) and at most
 * `maxRecencyDays`; `null` turns either limit off. Bounds and defaults: {@link RFM_GUARD_BOUNDS}.
 */
export interface RfmGuardConfig {
  recencyMultiple: number | null;
  maxRecencyDays: number | null;
}

/** Declared bounds (inclusive) and defaults of {@link RfmGuardConfig}. */
export const RFM_GUARD_BOUNDS = {
  recencyMultiple: { min: 1, max: 100, default: 3 },
  maxRecencyDays: { min: 1, max: 36525, default: 365 },
} as const;

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
  /** The loyalty model: windowed features, rolling snapshots, KNN tuning, calibration, checks. */
  loyalty: LoyaltyConfig;
}

/** Settings of the loyalty model; bounds and defaults in {@link LOYALTY_BOUNDS}. */
export interface LoyaltyConfig {
  /**
   * Candidate features of the KNN (registry features of scope `window`); cross-validation gives
   * each a weight in the distance, 0 dropping it.
   */
  features: string[];
  /** Days of the look-back window every feature is computed over (recency, tenure cap). */
  lookbackDays: number;
  /**
   * Training snapshots: the cutoff and up to `snapshots − 1` earlier cutoffs, `snapshotStepDays`
   * apart, each with the same outcome horizon; a snapshot whose look-back starts before the
   * first transaction is left out.
   */
  snapshots: number;
  /** Days between two snapshot cutoffs. */
  snapshotStepDays: number;
  /**
   * Whether the data hold every purchase of their customers from the first one on (a cohort
   * followed from its first purchase, such as CDNOW): then nothing precedes the first day of the
   * data, and a snapshot's look-back may start before it (default false: it may not).
   */
  completeHistory: boolean;
  /** Candidate k of the loyalty KNN (customers that vote). */
  kGrid: number[];
  /** Candidate weights of each feature in the distance (coordinate search). */
  weightGrid: number[];
  /** Passes of the coordinate search over the features (0: every weight stays 1). */
  weightPasses: number;
  /** Most training rows used by the feature-weight search (an evenly spread sample of customers). */
  tuningRows: number;
  /** Offset ε of the distance weighting 1 / (d + ε), in weighted standardised units. */
  distanceOffset: number;
  /** Calibration of the probabilities on out-of-fold predictions. */
  calibration: "isotonic" | "none";
  /** Resamples of the paired bootstrap of the held-out metrics (0: no intervals). */
  bootstrap: number;
  /** The gradient-boosted trees baseline. */
  gbm: { rounds: number; depth: number; learningRate: number; bins: number; minLeaf: number };
}

/** Declared bounds (inclusive) and defaults of the numeric {@link LoyaltyConfig} settings. */
export const LOYALTY_BOUNDS = {
  lookbackDays: { min: 28, max: 1825, default: 180 },
  snapshots: { min: 1, max: 24, default: 3 },
  snapshotStepDays: { min: 7, max: 730, default: 90 },
  weightPasses: { min: 0, max: 5, default: 1 },
  tuningRows: { min: 200, max: 1_000_000, default: 2500 },
  distanceOffset: { min: 0, max: 10, default: 0.1 },
  bootstrap: { min: 0, max: 100_000, default: 1000 },
  weight: { min: 0, max: 16 },
  k: { min: 1, max: 5000 },
  gbm: {
    rounds: { min: 1, max: 2000, default: 100 },
    depth: { min: 1, max: 6, default: 3 },
    learningRate: { min: 0.001, max: 1, default: 0.1 },
    bins: { min: 4, max: 255, default: 32 },
    minLeaf: { min: 1, max: 100_000, default: 20 },
  },
} as const;

/** A fully validated and defaulted dataset description. */
export interface DatasetConfig {
  id: string;
  title: string;
  description: string;
  source: { citation: string; url: string; licence: string };
  /**
   * Time zone of the source timestamps: an IANA name or a fixed offset `±HH:MM`; they are
   * converted to UTC (a timestamp with its own offset, or a tz-aware column, keeps its own).
   */
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
  loyalty: {
    features: [
      "recency_window_days",
      "tenure_window_days",
      "invoices_90d",
      "invoices_180d",
      "invoices_lookback",
      "value_90d",
      "value_180d",
      "value_lookback",
      "gap_days",
      "activity_trend",
    ],
    lookbackDays: LOYALTY_BOUNDS.lookbackDays.default,
    snapshots: LOYALTY_BOUNDS.snapshots.default,
    snapshotStepDays: LOYALTY_BOUNDS.snapshotStepDays.default,
    completeHistory: false,
    kGrid: [5, 10, 15, 25, 35, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000],
    weightGrid: [0, 0.5, 1, 2],
    weightPasses: LOYALTY_BOUNDS.weightPasses.default,
    tuningRows: LOYALTY_BOUNDS.tuningRows.default,
    distanceOffset: LOYALTY_BOUNDS.distanceOffset.default,
    calibration: "isotonic",
    bootstrap: LOYALTY_BOUNDS.bootstrap.default,
    gbm: {
      rounds: LOYALTY_BOUNDS.gbm.rounds.default,
      depth: LOYALTY_BOUNDS.gbm.depth.default,
      learningRate: LOYALTY_BOUNDS.gbm.learningRate.default,
      bins: LOYALTY_BOUNDS.gbm.bins.default,
      minLeaf: LOYALTY_BOUNDS.gbm.minLeaf.default,
    },
  },
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
  "encoding",
  "nullWords",
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

/**
 * `files`: a non-empty array of file entries with distinct names; a file without its own
 * `nullWords` takes `nullWords` (the dataset's `cleaning.nullWords`).
 */
function parseFiles(v: Json, key: string, nullWords: readonly string[]): FileConfig[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new ConfigError(key, "expected a non-empty array of files");
  }
  const files = v.map((f, i) => parseFile(f, `${key}[${i}]`, nullWords));
  const names = new Set<string>();
  for (const [i, f] of files.entries()) {
    if (names.has(f.name)) {
      throw new ConfigError(`${key}[${i}].name`, `duplicate file name ${excerpt(f.name)}`);
    }
    names.add(f.name);
  }
  return files;
}

/** One entry of `files`. */
function parseFile(v: Json, key: string, nullWords: readonly string[]): FileConfig {
  const o = obj(v, key || "(dataset)");
  known(o, key, FILE_KEYS);
  const path = strOrNull(o, "path", key);
  const name = o.name === undefined && path ? path.split("/").pop()! : str(o, "name", key);
  const format = str(o, "format", key) as FileFormat;
  if (!FORMATS.includes(format)) {
    throw new ConfigError(
      `${key}.format`,
      `unknown format ${excerpt(format)} (allowed: ${FORMATS.join(", ")})`,
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
      `${excerpt(timestampFormat)} has no strftime directive such as %Y`,
    );
  }
  const encoding = parseEncoding(o, key, format);
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
    encoding,
    nullWords: parseNullWords(o, key, nullWords),
  };
}

/** `files[].encoding`: one of {@link ENCODINGS} (default `utf-8`); text files only. */
function parseEncoding(o: Obj, key: string, format: FileFormat): TextEncoding {
  const encoding = str(o, "encoding", key, "utf-8") as TextEncoding;
  if (!ENCODINGS.includes(encoding)) {
    throw new ConfigError(
      `${key}.encoding`,
      `unknown encoding ${excerpt(encoding)} (allowed: ${ENCODINGS.join(", ")})`,
    );
  }
  if (format === "parquet" && encoding !== "utf-8") {
    throw new ConfigError(`${key}.encoding`, "Parquet text is always UTF-8: remove the key");
  }
  return encoding;
}

/** `nullWords` (of a file or of `cleaning`): words meaning "missing"; absent: `def`. */
function parseNullWords(o: Obj, key: string, def: readonly string[]): string[] {
  const words = strArray(o, "nullWords", key, [...def]);
  for (const [i, w] of words.entries()) {
    if (w !== w.trim() || w === "") {
      throw new ConfigError(
        `${key}.nullWords[${i}]`,
        `${excerpt(w)}: values are compared after trimming, so a null word must be non-empty ` +
          "without leading or trailing spaces (an empty field is always missing)",
      );
    }
  }
  return words;
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
        `${excerpt(c)} is not one of the declared fields (${excerptList(fields)})`,
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

/**
 * `cleaning`: non-product codes and patterns, duplicates, the cancellation and adjustment rules,
 * the warning share, outlier rules.
 */
function parseCleaning(v: Json, key: string): CleaningConfig {
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, [
    "nonProductCodes",
    "nonProductPatterns",
    "dropExactDuplicates",
    "cancellation",
    "adjustment",
    "warnShare",
    "outliers",
    "nullWords",
    "timestamps",
  ]);
  const patterns = parseNonProductPatterns(o, key);
  const ok = `${key}.outliers`;
  const ol = o.outliers === undefined ? {} : obj(o.outliers, ok);
  known(ol, ok, ["matchCancelledOrders", "logValueMadMultiplier"]);
  return {
    nonProductCodes: strArray(o, "nonProductCodes", key, []),
    nonProductPatterns: patterns,
    dropExactDuplicates: bool(o, "dropExactDuplicates", key, true),
    cancellation: parseLineRule(
      o.cancellation,
      `${key}.cancellation`,
      DEFAULT_CANCELLATION,
      LINE_RULE_KINDS,
    ),
    adjustment: parseLineRule(o.adjustment, `${key}.adjustment`, DEFAULT_ADJUSTMENT, [
      "prefix",
      "pattern",
      "off",
    ]),
    warnShare: num(o, "warnShare", key, WARN_SHARE.default, {
      min: WARN_SHARE.min,
      max: WARN_SHARE.max,
    }),
    nullWords: parseNullWords(o, key, DEFAULT_NULL_WORDS),
    timestamps: parseTimestampChecks(o.timestamps, `${key}.timestamps`),
    outliers: {
      matchCancelledOrders: bool(ol, "matchCancelledOrders", ok, true),
      logValueMadMultiplier: ol.logValueMadMultiplier === null
        ? null
        : num(ol, "logValueMadMultiplier", ok, 8, { min: 1 }),
    },
  };
}

/** `cleaning.timestamps`: `notAfter` (ISO date or null) and `bulkMargin` (see {@link TIMESTAMP_CHECKS}). */
function parseTimestampChecks(v: Json, key: string): CleaningConfig["timestamps"] {
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, ["notAfter", "bulkMargin"]);
  const m = TIMESTAMP_CHECKS.bulkMargin;
  return {
    notAfter: isoDate(strOrNull(o, "notAfter", key), `${key}.notAfter`),
    bulkMargin: o.bulkMargin === null
      ? null
      : num(o, "bulkMargin", key, m.default, { min: m.min, max: m.max }),
  };
}

/** Valid forms of `timezone`, for messages. */
const TIME_ZONE_FORMS =
  'an IANA zone name such as "Europe/Berlin" or "UTC", or a fixed offset from UTC written ' +
  '±HH:MM such as "+02:00" or "-05:30"';

/**
 * `timezone`: an IANA zone name (letter case as in the zone database: `europe/berlin` becomes
 * `Europe/Berlin`), or a fixed offset `±HH:MM` (`±HHMM` is written `±HH:MM`) from −12:00 to
 * +14:00. Anything else — `+2`, `GMT+2`, `UTC+02:00`, an unknown name — is refused with the valid
 * forms.
 */
function parseTimeZone(tz: string, key: string): string {
  const offset = /^([+-])(\d{2}):?(\d{2})$/.exec(tz);
  if (offset) {
    const minutes = (offset[1] === "-" ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));
    if (Number(offset[3]) > 59 || minutes < -12 * 60 || minutes > 14 * 60) {
      throw new ConfigError(key, `${excerpt(tz)} is no offset from UTC (−12:00 to +14:00)`);
    }
    return `${offset[1]}${offset[2]}:${offset[3]}`;
  }
  if (/^(utc|gmt)\s*[+-]|^[+-]/i.test(tz)) {
    throw new ConfigError(
      key,
      `${excerpt(tz)} is not a time zone; valid forms: ${TIME_ZONE_FORMS}`,
    );
  }
  try {
    validTimeZone(tz, key);
  } catch {
    throw new ConfigError(key, `unknown time zone ${excerpt(tz)}; valid forms: ${TIME_ZONE_FORMS}`);
  }
  const resolved = new Intl.DateTimeFormat("en-GB", { timeZone: tz }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === tz.toLowerCase() ? resolved : tz;
}

/**
 * `cleaning.nonProductPatterns`: regular expressions that both JavaScript and the cleaning engine
 * (polars, Rust `regex`) can run, so no look-around and no backreferences.
 */
function parseNonProductPatterns(cleaning: Obj, key: string): string[] {
  const patterns = strArray(cleaning, "nonProductPatterns", key, []);
  for (const [i, p] of patterns.entries()) checkEnginePattern(p, `${key}.nonProductPatterns[${i}]`);
  return patterns;
}

/**
 * Throws a ConfigError at `at` unless `p` is a regular expression that both JavaScript and the
 * cleaning engine (polars, Rust `regex`) can run: no look-around, no backreferences.
 */
function checkEnginePattern(p: string, at: string): void {
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

/**
 * `cleaning.cancellation` or `cleaning.adjustment`: `{ "rule": "prefix", "prefix": "C" }`,
 * `{ "rule": "pattern", "pattern": "^C\\d" }`, `{ "rule": "negative-quantity" }` (cancellations
 * only) or `{ "rule": "off" }`. Absent: `def`. A `prefix` left out of a prefix rule is the default
 * one; a key the rule does not use is an error (it would be silently ignored).
 */
function parseLineRule(
  v: Json,
  key: string,
  def: Readonly<LineRule>,
  allowed: readonly LineRule["rule"][],
): LineRule {
  if (v === undefined) return { ...def };
  const o = obj(v, key);
  known(o, key, ["rule", "prefix", "pattern"]);
  const rule = str(o, "rule", key) as LineRule["rule"];
  if (!allowed.includes(rule)) {
    throw new ConfigError(
      `${key}.rule`,
      `unknown rule ${excerpt(rule)} (allowed: ${allowed.map((k) => `"${k}"`).join(", ")})`,
    );
  }
  for (const k of ["prefix", "pattern"] as const) {
    if (o[k] !== undefined && k !== rule) {
      throw new ConfigError(`${key}.${k}`, `only used with "rule": "${k}" (the rule is "${rule}")`);
    }
  }
  if (rule === "prefix") {
    return { rule, prefix: str(o, "prefix", key, def.prefix ?? undefined), pattern: null };
  }
  if (rule === "pattern") {
    const pattern = str(o, "pattern", key);
    checkEnginePattern(pattern, `${key}.pattern`);
    return { rule, prefix: null, pattern };
  }
  return { rule, prefix: null, pattern: null };
}

/** `rfm`: the number of score bins, optional custom cut points and the segment guards. */
function parseRfm(v: Json, key: string): RfmConfig {
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, ["bins", "cutPoints", "guards"]);
  const bins = num(o, "bins", key, 5, { int: true, min: 2, max: 10 });
  return {
    bins,
    cutPoints: parseCutPoints(o.cutPoints, `${key}.cutPoints`, bins),
    guards: parseGuards(o.guards, `${key}.guards`),
  };
}

/** `rfm.guards`: each limit within its bounds, default when absent, off when null. */
function parseGuards(v: Json, key: string): RfmGuardConfig {
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, ["recencyMultiple", "maxRecencyDays"]);
  const limit = (k: keyof RfmGuardConfig, int: boolean) => {
    const b = RFM_GUARD_BOUNDS[k];
    return o[k] === null ? null : num(o, k, key, b.default, { int, min: b.min, max: b.max });
  };
  return {
    recencyMultiple: limit("recencyMultiple", false),
    maxRecencyDays: limit("maxRecencyDays", true),
  };
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
function parseModel(v: Json, key: string, files: readonly FileConfig[] = []): ModelConfig {
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, [
    "seed",
    "features",
    "logFeatures",
    "kmeans",
    "forward",
    "knn",
    "score",
    "loyalty",
  ]);
  const { features, logFeatures } = parseFeatures(o, key);
  return {
    seed: num(o, "seed", key, DEFAULT_MODEL.seed, { int: true, min: 0 }),
    features,
    logFeatures,
    kmeans: parseKmeans(o.kmeans, `${key}.kmeans`),
    forward: parseForward(o.forward, `${key}.forward`),
    knn: parseKnn(o.knn, `${key}.knn`),
    score: parseScore(o.score, `${key}.score`),
    loyalty: parseLoyalty(o.loyalty, `${key}.loyalty`, files),
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

/**
 * `model.loyalty`: candidate features (windowed registry features that fit in the look-back and
 * whose columns every file maps), look-back, snapshots, grids, calibration, bootstrap, GBM.
 */
function parseLoyalty(v: Json, key: string, files: readonly FileConfig[]): LoyaltyConfig {
  const d = DEFAULT_MODEL.loyalty;
  const B = LOYALTY_BOUNDS;
  const o = v === undefined ? {} : obj(v, key);
  known(o, key, [
    "features",
    "lookbackDays",
    "snapshots",
    "snapshotStepDays",
    "completeHistory",
    "kGrid",
    "weightGrid",
    "weightPasses",
    "tuningRows",
    "distanceOffset",
    "calibration",
    "bootstrap",
    "gbm",
  ]);
  const int = (
    name:
      | "lookbackDays"
      | "snapshots"
      | "snapshotStepDays"
      | "weightPasses"
      | "tuningRows"
      | "bootstrap",
  ) => num(o, name, key, B[name].default, { int: true, min: B[name].min, max: B[name].max });
  const lookbackDays = int("lookbackDays");
  const windowed = FEATURES.filter((f) => f.scope === "window").map((f) => f.name);
  const features = strArray(o, "features", key, d.features);
  if (features.length === 0) throw new ConfigError(`${key}.features`, "expected at least one");
  for (const [i, name] of features.entries()) {
    const at = `${key}.features[${i}]`;
    const f = feature(name);
    if (!f || f.scope !== "window") {
      throw new ConfigError(
        at,
        `"${name}" is not a look-back feature (allowed: ${windowed.join(", ")})`,
      );
    }
    if (features.indexOf(name) !== i) throw new ConfigError(at, `"${name}" appears twice`);
    if (f.windowDays !== undefined && f.windowDays > lookbackDays) {
      throw new ConfigError(
        at,
        `"${name}" counts ${f.windowDays} days, more than lookbackDays (${lookbackDays})`,
      );
    }
    for (const col of f.needs ?? []) {
      const lacking = files.find((file) => !file.columns[col]);
      if (lacking) {
        throw new ConfigError(
          at,
          `"${name}" needs the ${col} column, which ${lacking.name} does not map`,
        );
      }
    }
  }
  const grid = (name: "kGrid" | "weightGrid", bounds: { min: number; max: number }) => {
    const g = o[name] === undefined ? [...d[name]] : numArray(o[name], `${key}.${name}`);
    const intOnly = name === "kGrid";
    if (
      g.length === 0 ||
      g.some((x) => x < bounds.min || x > bounds.max || (intOnly && !Number.isInteger(x)))
    ) {
      throw new ConfigError(
        `${key}.${name}`,
        `expected ${intOnly ? "whole numbers" : "numbers"} from ${bounds.min} to ${bounds.max}`,
      );
    }
    return [...new Set(g)].sort((a, b) => a - b);
  };
  const weightGrid = grid("weightGrid", B.weight);
  if (!weightGrid.includes(1)) {
    throw new ConfigError(`${key}.weightGrid`, "must include 1 (the starting weight)");
  }
  const calibration = str(o, "calibration", key, d.calibration);
  if (calibration !== "isotonic" && calibration !== "none") {
    throw new ConfigError(
      `${key}.calibration`,
      `expected "isotonic" or "none", got "${calibration}"`,
    );
  }
  const gk = `${key}.gbm`;
  const g = o.gbm === undefined ? {} : obj(o.gbm, gk);
  known(g, gk, ["rounds", "depth", "learningRate", "bins", "minLeaf"]);
  const gbmNum = (name: keyof typeof B.gbm, isInt: boolean) =>
    num(g, name, gk, B.gbm[name].default, {
      int: isInt,
      min: B.gbm[name].min,
      max: B.gbm[name].max,
    });
  return {
    features,
    lookbackDays,
    snapshots: int("snapshots"),
    snapshotStepDays: int("snapshotStepDays"),
    completeHistory: bool(o, "completeHistory", key, d.completeHistory),
    kGrid: grid("kGrid", B.k),
    weightGrid,
    weightPasses: int("weightPasses"),
    tuningRows: int("tuningRows"),
    distanceOffset: num(o, "distanceOffset", key, B.distanceOffset.default, {
      min: B.distanceOffset.min,
      max: B.distanceOffset.max,
    }),
    calibration,
    bootstrap: int("bootstrap"),
    gbm: {
      rounds: gbmNum("rounds", true),
      depth: gbmNum("depth", true),
      learningRate: gbmNum("learningRate", false),
      bins: gbmNum("bins", true),
      minLeaf: gbmNum("minLeaf", true),
    },
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
  const cleaning = parseCleaning(o.cleaning, at("cleaning"));
  const files = parseFiles(o.files, at("files"), cleaning.nullWords);
  const download = parseDownload(o.download, at("download"));
  const rfm = parseRfm(o.rfm, at("rfm"));
  const outputs = parseOutputs(o.outputs, at("outputs"), id);
  return {
    id,
    title: str(o, "title", key, id),
    description: optionalText(o, "description", at("description")),
    source,
    timezone: parseTimeZone(str(o, "timezone", key, "UTC"), at("timezone")),
    currency: str(o, "currency", key, "GBP"),
    analysisDate: isoDate(strOrNull(o, "analysisDate", key), at("analysisDate")),
    outputs,
    download,
    files,
    cleaning,
    rfm,
    model: parseModel(o.model, at("model"), files),
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
