/**
 * Dataset configuration: the types of a dataset description and its validator.
 *
 * A dataset is described by plain JSON (see `data/datasets.json`, the README and the JSON Schema
 * `data/dataset.schema.json`). Every key, bound and default is declared once, in the zod schema
 * of `dataset_schema.ts`; {@link parseDataset} validates with it, then applies the rules that
 * relate keys to each other (in {@link finishDataset}, one place) and returns a typed, defaulted
 * {@link DatasetConfig}, or throws a {@link ConfigError} that names the offending key path (for
 * example `datasets[1].files[0].columns.quantity`). Unknown keys are errors, so a typo never
 * silently falls back to a default. Pure.
 *
 * @module
 */
import type { z } from "zod";
import { ConfigError } from "./errors.ts";
import { feature } from "./features.ts";
import { firstError, issueMessage, shown } from "./issues.ts";
import {
  type DatasetInput,
  DatasetSchema,
  DEFAULT_TIMESTAMP_FORMAT,
  ENCODINGS,
  ENGINES,
  FORMATS,
  LIMITS,
  LINE_RULE_KINDS,
  MAPPABLE_COLUMNS,
  type ModelOutput,
  ModelSchema,
  RegistrySchema,
} from "./dataset_schema.ts";
import { excerptList } from "../lib/text.ts";

export {
  DEFAULT_NULL_WORDS,
  ENCODINGS,
  ENGINES,
  FORMATS,
  LIMITS,
  LINE_RULE_KINDS,
  MAPPABLE_COLUMNS,
  MODEL_FEATURES,
} from "./dataset_schema.ts";

/** An engine that runs ingest, cleaning and RFM. */
export type Engine = typeof ENGINES[number];

/** A canonical column name that a source file can map onto. */
export type MappableColumn = typeof MAPPABLE_COLUMNS[number];

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
  /** Mapping canonical column → source column (empty for a `customers` file). */
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

/** A character encoding of a text file. */
export type TextEncoding = typeof ENCODINGS[number];

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

/** A fully validated and defaulted dataset description. */
export interface DatasetConfig {
  id: string;
  title: string;
  description: string;
  /** Where the data come from (null when the description gives none: the report shows none). */
  source: { citation: string; url: string; licence: string } | null;
  /** Engine that runs ingest, cleaning and RFM (default `polars`). */
  engine: Engine;
  /**
   * Time zone of the source timestamps: an IANA name or a fixed offset `±HH:MM`; they are
   * converted to UTC (a timestamp with its own offset, or a tz-aware column, keeps its own).
   */
  timezone: string;
  currency: string;
  /** Analysis date (ISO date) or null for the day after the last transaction. */
  analysisDate: string | null;
  /**
   * Output folders, relative to the workspace root (or absolute). As written in a description,
   * a relative folder is relative to the folder of the JSON file (the rule of `files[].path`);
   * {@link parseDataset}'s `resolveOutput` rewrites it to this form. Defaults: `reports/<id>`
   * and `data/processed/<id>` in the workspace.
   */
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

/**
 * `cleaning.timestamps` (the plausibility rules of timestamps): defaults and bounds. `notAfter`:
 * the last plausible day (default null: the build date); `bulkMargin`: how far outside the bulk
 * of the data (1st to 99th percentile) a timestamp may lie, in multiples of the bulk's span (at
 * least one year); null disables the rule.
 */
export const TIMESTAMP_CHECKS = { notAfter: null, bulkMargin: LIMITS.bulkMargin } as const;

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
export const WARN_SHARE = LIMITS.warnShare;

/** Declared bounds (inclusive) and defaults of {@link RfmGuardConfig}. */
export const RFM_GUARD_BOUNDS = {
  recencyMultiple: LIMITS.recencyMultiple,
  maxRecencyDays: LIMITS.maxRecencyDays,
} as const;

/** Declared bounds (inclusive) and defaults of the numeric {@link LoyaltyConfig} settings. */
export const LOYALTY_BOUNDS = {
  lookbackDays: LIMITS.lookbackDays,
  snapshots: LIMITS.snapshots,
  snapshotStepDays: LIMITS.snapshotStepDays,
  weightPasses: LIMITS.weightPasses,
  tuningRows: LIMITS.tuningRows,
  distanceOffset: LIMITS.distanceOffset,
  bootstrap: LIMITS.bootstrap,
  weight: LIMITS.weight,
  k: LIMITS.knnK,
  gbm: LIMITS.gbm,
} as const;

/**
 * Default model options, used for any key a dataset leaves out (read from the schema; the
 * forward window has no default and is empty here).
 */
export const DEFAULT_MODEL: ModelConfig = (() => {
  // A copy: the schema's default arrays must never be shared with (and changed through) it.
  const m = structuredClone(
    ModelSchema.parse({ forward: { cutoff: "2000-01-01", windowEnd: "2000-01-02" } }),
  );
  return { ...m, forward: { ...m.forward, cutoff: "", windowEnd: "" } };
})();

/** Compile-time check: every key of the schema reaches {@link DatasetConfig} (`$schema` aside). */
const _everyKeyKept: [Exclude<keyof DatasetInput, keyof DatasetConfig | "$schema">] extends [never]
  ? true
  : never = true;

/** Options of {@link parseDataset} and {@link parseRegistry}. */
export interface ParseOptions {
  /**
   * Rewrites an output folder as written in the description (relative to the description's
   * folder, or absolute) into the form {@link DatasetConfig.outputs} holds (relative to the
   * workspace root, or absolute). Absent: kept as written (`registry.ts` supplies it).
   */
  resolveOutput?: (written: string) => string;
}

/** The schema's parse, with the workspace's messages; throws the first issue as a ConfigError. */
function validate<T>(schema: z.ZodType<T>, v: unknown, key: string, root: string): T {
  const r = schema.safeParse(v, { error: issueMessage });
  if (!r.success) throw firstError(r.error.issues, key, root);
  return r.data;
}

/** `prefix.k`, or `k` when the prefix is empty. */
const at = (prefix: string, k: string) => (prefix ? `${prefix}.${k}` : k);

/**
 * Validates one dataset description and fills in defaults.
 *
 * @param v parsed JSON of one dataset
 * @param key key path used in error messages (`datasets[0]`, or `` for a stand-alone file)
 * @param baseDir folder of the JSON file: relative `files[].path` entries are resolved against it
 * @param options see {@link ParseOptions}
 * @returns the typed configuration
 * @throws {ConfigError} naming the first key at fault
 *
 * @example
 * ```ts
 * import { parseDataset } from "./dataset.ts";
 * import { equal, throws } from "node:assert/strict";
 * const files = [{ name: "a.csv", format: "csv", columns: {
 *   customer_id: "c", timestamp: "t", quantity: "q", unit_price: "p" } }];
 * const forward = { cutoff: "2011-01-01", windowEnd: "2012-01-01" };
 * equal(parseDataset({ id: "shop", files, model: { forward } }).model.kmeans.kMax, 10);
 * throws(
 *   () => parseDataset({ id: "shop", files, model: { forward, kmeans: { restarts: 1e6 } } }),
 *   /model\.kmeans\.restarts: must be at most 25, got 1000000$/,
 * );
 * ```
 */
export function parseDataset(
  v: unknown,
  key = "",
  baseDir = ".",
  options: ParseOptions = {},
): DatasetConfig {
  const data = validate<DatasetInput>(DatasetSchema, v, key, key || "(dataset)");
  return finishDataset(structuredClone(data), v, key, baseDir, options);
}

/**
 * Validates the dataset registry (`data/datasets.json`).
 *
 * @param v parsed JSON
 * @param baseDir folder of the registry file
 * @param options see {@link ParseOptions}
 * @throws {ConfigError} naming the key at fault
 *
 * @example
 * ```ts
 * import { parseRegistry } from "./dataset.ts";
 * import { equal, throws } from "node:assert/strict";
 * const files = [{ name: "a.csv", format: "csv", columns: {
 *   customer_id: "c", timestamp: "t", quantity: "q", line_value: "v" } }];
 * const model = { forward: { cutoff: "2011-01-01", windowEnd: "2012-01-01" } };
 * const reg = parseRegistry({ $schema: "./dataset.schema.json", datasets: [{ id: "a", files, model }] });
 * equal(reg.default, "a");
 * throws(() => parseRegistry({ default: "b", datasets: [{ id: "a", files, model }] }), /^ConfigError: default: no dataset has id "b"$/);
 * ```
 */
export function parseRegistry(v: unknown, baseDir = ".", options: ParseOptions = {}): Registry {
  const data = validate(RegistrySchema, v, "", "(registry)");
  const datasets = data.datasets.map((d, i) =>
    finishDataset(
      structuredClone(d),
      (v as { datasets: unknown[] }).datasets[i],
      `datasets[${i}]`,
      baseDir,
      options,
    )
  );
  const ids = new Set<string>();
  for (const [i, d] of datasets.entries()) {
    if (ids.has(d.id)) throw new ConfigError(`datasets[${i}].id`, `duplicate id ${shown(d.id)}`);
    ids.add(d.id);
  }
  const def = data.default ?? datasets[0].id;
  if (!ids.has(def)) throw new ConfigError("default", `no dataset has id ${shown(def)}`);
  return { default: def, datasets };
}

// ---------------------------------------------------------------------------------------------
// The rules that relate keys to each other, and the defaults that depend on other keys: all here.

/**
 * Applies the cross-key rules to a dataset the schema accepted and fills in the defaults that
 * depend on other keys (file name from path, header from format, null words from cleaning,
 * output folders from id, …).
 */
function finishDataset(
  d: DatasetInput,
  raw: unknown,
  key: string,
  baseDir: string,
  options: ParseOptions = {},
): DatasetConfig {
  const cleaning = finishCleaning(d.cleaning, at(key, "cleaning"));
  const files = finishFiles(
    d.files,
    (raw as { files: { columns?: object }[] }).files,
    at(key, "files"),
    cleaning.nullWords,
  );
  const rfm = finishRfm(d.rfm, at(key, "rfm"));
  const model = finishModel(d.model, at(key, "model"), files);
  const written = (p: string | undefined) =>
    p === undefined ? undefined : options.resolveOutput ? options.resolveOutput(p) : p;
  return {
    id: d.id,
    title: d.title ?? d.id,
    description: d.description,
    source: d.source,
    engine: d.engine,
    timezone: d.timezone,
    currency: d.currency,
    analysisDate: d.analysisDate,
    outputs: {
      reports: written(d.outputs.reports) ?? `reports/${d.id}`,
      processed: written(d.outputs.processed) ?? `data/processed/${d.id}`,
    },
    download: d.download,
    files,
    cleaning,
    rfm,
    model,
    baseDir,
  };
}

/** `cleaning`: the line rules' keys and defaults. */
function finishCleaning(c: DatasetInput["cleaning"], key: string): CleaningConfig {
  return {
    nonProductCodes: c.nonProductCodes,
    nonProductPatterns: c.nonProductPatterns,
    dropExactDuplicates: c.dropExactDuplicates,
    cancellation: finishLineRule(c.cancellation, `${key}.cancellation`, DEFAULT_CANCELLATION),
    adjustment: finishLineRule(c.adjustment, `${key}.adjustment`, DEFAULT_ADJUSTMENT),
    warnShare: c.warnShare,
    nullWords: c.nullWords,
    timestamps: c.timestamps,
    outliers: c.outliers,
  };
}

/**
 * A cancellation or adjustment rule: absent, the default; a key the rule does not use is an
 * error (it would be silently ignored); a prefix rule without `prefix` takes the default one.
 */
function finishLineRule(
  r: { rule: string; prefix?: string; pattern?: string } | undefined,
  key: string,
  def: Readonly<LineRule>,
): LineRule {
  if (r === undefined) return { ...def };
  const rule = r.rule as LineRule["rule"];
  for (const k of ["prefix", "pattern"] as const) {
    if (r[k] !== undefined && k !== rule) {
      throw new ConfigError(`${key}.${k}`, `only used with "rule": "${k}" (the rule is "${rule}")`);
    }
  }
  if (rule === "prefix") return { rule, prefix: r.prefix ?? def.prefix, pattern: null };
  if (rule === "pattern") {
    if (r.pattern === undefined) {
      throw new ConfigError(
        `${key}.pattern`,
        'expected a non-empty string, got nothing (required with "rule": "pattern")',
      );
    }
    return { rule, prefix: null, pattern: r.pattern };
  }
  if (!LINE_RULE_KINDS.includes(rule)) throw new ConfigError(`${key}.rule`, "unknown rule");
  return { rule, prefix: null, pattern: null };
}

/** Keys that do not apply to a `customers` file (a Parquet customer table, no column mapping). */
const NOT_FOR_CUSTOMERS = ["columns", "header", "fields", "timestampFormat", "encoding"] as const;

/**
 * `files`: distinct names; customer tables not mixed with transaction files; per file, the
 * header/fields rule, the column mapping, the encoding rule and the dependent defaults.
 */
function finishFiles(
  files: DatasetInput["files"],
  raw: { columns?: object }[],
  key: string,
  nullWords: readonly string[],
): FileConfig[] {
  // The schema gives `columns` in its own key order; the mapping keeps the order written.
  const order = (i: number) => Object.keys(raw[i]?.columns ?? {}) as MappableColumn[];
  const out = files.map((f, i) => finishFile(f, `${key}[${i}]`, nullWords, order(i)));
  const names = new Set<string>();
  for (const [i, f] of out.entries()) {
    if (names.has(f.name)) {
      throw new ConfigError(`${key}[${i}].name`, `duplicate file name ${shown(f.name)}`);
    }
    names.add(f.name);
  }
  const customers = (f: FileConfig) => f.format === "customers";
  const mixed = out.findIndex((f) => customers(f) !== customers(out[0]));
  if (mixed > 0) {
    throw new ConfigError(
      `${key}[${mixed}].format`,
      `a dataset's files are either all customer tables ("customers") or all transaction files: ` +
        `files[0] is "${out[0].format}", this one "${out[mixed].format}"`,
    );
  }
  return out;
}

/** One file entry. */
function finishFile(
  f: DatasetInput["files"][number],
  key: string,
  nullWords: readonly string[],
  columnOrder: readonly MappableColumn[],
): FileConfig {
  const name = f.name ?? (f.path ? f.path.split("/").pop() || undefined : undefined);
  if (name === undefined) {
    throw new ConfigError(
      `${key}.name`,
      "expected a non-empty string, got nothing (give `name` or `path`)",
    );
  }
  if (f.format === "customers") {
    for (const k of NOT_FOR_CUSTOMERS) {
      if (f[k] !== undefined && f[k] !== null) {
        throw new ConfigError(
          `${key}.${k}`,
          'does not apply to a "customers" file (a Parquet table with one row per customer, ' +
            "whose columns are the customer table's own): remove the key",
        );
      }
    }
  }
  const header = f.header ?? f.format !== "whitespace";
  const text = f.format !== "parquet" && f.format !== "customers";
  if (!header && text && f.fields === null) {
    throw new ConfigError(
      `${key}.fields`,
      "a file without a header line needs its field names in `fields`",
    );
  }
  if (f.encoding !== undefined && f.encoding !== "utf-8" && !text) {
    throw new ConfigError(`${key}.encoding`, "Parquet text is always UTF-8: remove the key");
  }
  return {
    name,
    mirrorPath: f.mirrorPath ?? name,
    path: f.path,
    sha256: f.sha256,
    rows: f.rows,
    format: f.format,
    header,
    fields: f.fields,
    sheet: f.sheet,
    sheetRows: f.sheetRows ?? f.rows,
    columns: f.format === "customers"
      ? {}
      : finishColumns(f.columns, `${key}.columns`, f.fields, columnOrder),
    timestampFormat: f.timestampFormat ?? DEFAULT_TIMESTAMP_FORMAT,
    encoding: f.encoding ?? "utf-8",
    nullWords: f.nullWords ?? [...nullWords],
  };
}

/**
 * A transaction file's `columns`: required (customer, timestamp and quantity, and unit price or
 * line value), each one of the declared `fields` when there are any.
 */
function finishColumns(
  columns: Partial<Record<MappableColumn, string>> | undefined,
  key: string,
  fields: string[] | null,
  order: readonly MappableColumn[],
): Partial<Record<MappableColumn, string>> {
  if (columns === undefined) {
    throw new ConfigError(key, "expected an object, got nothing (the key is required)");
  }
  const out: Partial<Record<MappableColumn, string>> = {};
  for (const c of order) {
    const source = columns[c];
    if (source === undefined) continue;
    if (fields !== null && !fields.includes(source)) {
      throw new ConfigError(
        `${key}.${c}`,
        `${shown(source)} is not one of the declared fields (${excerptList(fields)})`,
      );
    }
    out[c] = source;
  }
  for (const required of ["customer_id", "timestamp", "quantity"] as const) {
    if (!out[required]) {
      throw new ConfigError(`${key}.${required}`, "missing column mapping (required)");
    }
  }
  if (!out.unit_price && !out.line_value) {
    throw new ConfigError(
      `${key}.unit_price`,
      "missing column mapping: map unit_price or line_value",
    );
  }
  return out;
}

/** `rfm.cutPoints`: per metric, `bins − 1` strictly increasing numbers. */
function finishRfm(r: DatasetInput["rfm"], key: string): RfmConfig {
  if (r.cutPoints !== null) {
    for (const [m, cuts] of Object.entries(r.cutPoints)) {
      if (cuts === undefined) continue;
      if (cuts.length !== r.bins - 1) {
        throw new ConfigError(
          `${key}.cutPoints.${m}`,
          `expected ${r.bins - 1} cut points, got ${cuts.length}`,
        );
      }
      for (let i = 1; i < cuts.length; i++) {
        if (!(cuts[i] > cuts[i - 1])) {
          throw new ConfigError(`${key}.cutPoints.${m}`, "cut points must be strictly increasing");
        }
      }
    }
  }
  return r as RfmConfig;
}

/** Throws at `key[i]` for the first entry of `list` that appeared before. */
function distinct(list: readonly string[], key: string, what: string): void {
  for (const [i, x] of list.entries()) {
    if (list.indexOf(x) !== i) {
      throw new ConfigError(`${key}[${i}]`, `${what} ${shown(x)} appears twice`);
    }
  }
}

/** `model`: the rules between its keys (k range, levels, thresholds, score scale, features). */
function finishModel(m: ModelOutput, key: string, files: readonly FileConfig[]): ModelConfig {
  for (const [i, f] of m.logFeatures.entries()) {
    if (!m.features.includes(f)) {
      throw new ConfigError(`${key}.logFeatures[${i}]`, `${shown(f)} is not in features`);
    }
  }
  distinct(m.features, `${key}.features`, "feature");
  const km = m.kmeans;
  if (km.kMax < km.kMin) {
    throw new ConfigError(
      `${key}.kmeans.kMax`,
      `must be at least ${km.kMin} (kMin), got ${km.kMax}`,
    );
  }
  const fw = m.forward;
  if (fw.windowEnd <= fw.cutoff) {
    throw new ConfigError(`${key}.forward.windowEnd`, `must be after cutoff ${fw.cutoff}`);
  }
  distinct(fw.levels, `${key}.forward.levels`, "level");
  if (fw.loyalMinInvoices <= fw.occasionalMinInvoices) {
    throw new ConfigError(
      `${key}.forward.loyalMinInvoices`,
      `must be at least ${
        fw.occasionalMinInvoices + 1
      } (above occasionalMinInvoices), got ${fw.loyalMinInvoices}`,
    );
  }
  distinct(m.knn.weights, `${key}.knn.weights`, "weighting");
  if (m.knn.kGrid.length !== new Set(m.knn.kGrid).size) {
    throw new ConfigError(`${key}.knn.kGrid`, "expected positive integers, each once");
  }
  const s = m.score;
  if (s.max <= s.min) {
    throw new ConfigError(`${key}.score.max`, `must exceed min ${s.min}, got ${s.max}`);
  }
  distinct(s.bands, `${key}.score.bands`, "band");
  return { ...m, loyalty: finishLoyalty(m.loyalty, `${key}.loyalty`, files) };
}

/**
 * `model.loyalty`: each feature once, its window within the look-back and its columns mapped by
 * every file; the grids sorted without duplicates, the weight grid holding 1.
 */
function finishLoyalty(
  l: ModelOutput["loyalty"],
  key: string,
  files: readonly FileConfig[],
): LoyaltyConfig {
  for (const [i, name] of l.features.entries()) {
    const here = `${key}.features[${i}]`;
    const f = feature(name)!;
    if (l.features.indexOf(name) !== i) throw new ConfigError(here, `${shown(name)} appears twice`);
    if (f.windowDays !== undefined && f.windowDays > l.lookbackDays) {
      throw new ConfigError(
        here,
        `${shown(name)} counts ${f.windowDays} days, more than lookbackDays (${l.lookbackDays})`,
      );
    }
    for (const col of f.needs ?? []) {
      const lacking = files.find((file) => file.format !== "customers" && !file.columns[col]);
      if (lacking) {
        throw new ConfigError(
          here,
          `${shown(name)} needs the ${col} column, which ${lacking.name} does not map`,
        );
      }
    }
  }
  const sorted = (g: number[]) => [...new Set(g)].sort((a, b) => a - b);
  const weightGrid = sorted(l.weightGrid);
  if (!weightGrid.includes(1)) {
    throw new ConfigError(`${key}.weightGrid`, "must include 1 (the starting weight)");
  }
  return { ...l, kGrid: sorted(l.kGrid), weightGrid };
}
