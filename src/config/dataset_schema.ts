/**
 * The dataset description as a zod schema: every key, its type, bounds, default and description,
 * declared once. {@link parseDataset} (in `dataset.ts`) validates with it and then applies the
 * rules that relate keys to each other; {@link datasetJsonSchema} publishes it as a JSON Schema
 * (`data/dataset.schema.json`) for editors.
 *
 * Every count has an upper bound, so that no setting can make a build run for hours: the bounds
 * are chosen so that the worst case stays within minutes on two cores for a dataset of about a
 * million lines (see {@link LIMITS}). Pure (zod only).
 *
 * @module
 */
import { z } from "zod";
import { FEATURE_NAMES, FEATURES } from "./features.ts";
import { quotedList, shown } from "./issues.ts";
import { CANONICAL_COLUMNS, COLUMN_DOCS } from "./schema.ts";

// ---------------------------------------------------------------------------------------------
// Enumerations

/**
 * Canonical transaction columns that a source file may map: every canonical column but the two
 * the workspace adds itself (`source_file`, `source_row`).
 */
export const MAPPABLE_COLUMNS = CANONICAL_COLUMNS.filter(
  (c): c is Exclude<typeof c, "source_file" | "source_row"> =>
    c !== "source_file" && c !== "source_row",
);

/**
 * Supported input file formats: transaction files (`parquet`, `csv`, `tsv`, `whitespace`) or a
 * customer table (`customers`: Parquet, one row per customer, as the warehouse SQL export writes
 * it; no column mapping).
 */
export const FORMATS = ["parquet", "csv", "tsv", "whitespace", "customers"] as const;

/** Character encodings of text files (`files[].encoding`; default `utf-8`). */
export const ENCODINGS = ["utf-8", "latin1", "windows-1252", "utf-16"] as const;

/** Ways of recognising a cancellation or adjustment line (`cleaning.cancellation.rule` …). */
export const LINE_RULE_KINDS = ["prefix", "pattern", "negative-quantity", "off"] as const;

/** Engines that run ingest, cleaning and RFM (`engine`; default `polars`). */
export const ENGINES = ["polars", "duckdb"] as const;

/** Archive kinds of `download.kind`. */
export const DOWNLOAD_KINDS = ["zip-xlsx", "zip-text"] as const;

/** Customer feature names the models can use (from the feature registry). */
export const MODEL_FEATURES: readonly string[] = FEATURE_NAMES;

/** Feature names of scope `window` (the loyalty model's candidates). */
export const WINDOW_FEATURES: readonly string[] = FEATURES.filter((f) => f.scope === "window")
  .map((f) => f.name);

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

// ---------------------------------------------------------------------------------------------
// Bounds and defaults

/**
 * Every numeric bound (inclusive) and default of the configuration, in one place. The upper
 * bounds of counts keep the worst case within minutes on two cores: K-Means costs about
 * `(kMax − kMin + 1) × restarts × maxIterations × customers`, its stability check
 * `stabilitySeeds` more fits, the silhouette `silhouetteSample²` distances per k; the loyalty
 * model's tuning about `snapshots × tuningRows² × (|kGrid| + weightPasses × features ×
 * |weightGrid|)`; the bootstrap `bootstrap × held-out customers`.
 */
export const LIMITS = {
  seed: { min: 0, max: 4_294_967_295, default: 20261124 },
  files: { max: 200 },
  listEntries: { max: 10_000 },
  patterns: { max: 200 },
  nullWords: { max: 200 },
  rows: { max: 1e12 },
  warnShare: { min: 0, max: 1, default: 0.1 },
  bulkMargin: { min: 0.25, max: 100, default: 1 },
  logValueMadMultiplier: { min: 1, max: 1000, default: 8 },
  rfmBins: { min: 2, max: 10, default: 5 },
  recencyMultiple: { min: 1, max: 100, default: 3 },
  maxRecencyDays: { min: 1, max: 36525, default: 365 },
  kMin: { min: 2, max: 20, default: 2 },
  kMax: { min: 2, max: 20, default: 10 },
  k: { min: 2, max: 20 },
  restarts: { min: 1, max: 25, default: 10 },
  maxIterations: { min: 1, max: 1000, default: 300 },
  silhouetteSample: { min: 10, max: 20_000 },
  stabilitySeeds: { min: 2, max: 20, default: 5 },
  occasionalMinInvoices: { min: 1, max: 1000, default: 1 },
  loyalMinInvoices: { min: 2, max: 10_000, default: 3 },
  knnK: { min: 1, max: 5000 },
  kGridEntries: { max: 30 },
  folds: { min: 2, max: 10, default: 5 },
  testShare: { min: 0.05, max: 0.5, default: 0.25 },
  score: { min: -1e9, max: 1e9, defaultMin: 300, defaultMax: 850 },
  bands: { min: 2, max: 26 },
  lookbackDays: { min: 28, max: 1825, default: 180 },
  snapshots: { min: 1, max: 8, default: 3 },
  snapshotStepDays: { min: 7, max: 730, default: 90 },
  weightPasses: { min: 0, max: 5, default: 1 },
  tuningRows: { min: 200, max: 10_000, default: 2500 },
  distanceOffset: { min: 0, max: 10, default: 0.1 },
  bootstrap: { min: 0, max: 10_000, default: 1000 },
  weight: { min: 0, max: 16 },
  weightGridEntries: { max: 12 },
  gbm: {
    rounds: { min: 1, max: 500, default: 100 },
    depth: { min: 1, max: 6, default: 3 },
    learningRate: { min: 0.001, max: 1, default: 0.1 },
    bins: { min: 4, max: 255, default: 32 },
    minLeaf: { min: 1, max: 100_000, default: 20 },
  },
} as const;

/** Default `timestampFormat` of text timestamps. */
export const DEFAULT_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S";

// ---------------------------------------------------------------------------------------------
// Building blocks

type Bounds = { readonly min: number; readonly max: number };

/** A whole number within bounds. */
const int = (b: Bounds) => z.int().min(b.min).max(b.max);
/** A finite number within bounds. */
const num = (b: Bounds) => z.number().min(b.min).max(b.max);
/** A non-empty string. */
const text = () => z.string().min(1);

/** One of `values`; a wrong value gets `message(shown value)`. */
function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  message: (got: string) => string,
) {
  return z.enum(values, {
    error: (iss) =>
      iss.input === undefined
        ? `expected ${quotedList(values)}, got nothing (the key is required)`
        : message(shown(iss.input)),
  });
}

/** A list of whole numbers within bounds, described as `what` in messages. */
function intGrid(b: Bounds, what: string, entries: number) {
  const item = z.int({
    error: (iss) => `expected ${what}, got ${shown(iss.input)}`,
  }).min(b.min, { error: (iss) => `expected ${what}, got ${shown(iss.input)}` })
    .max(b.max, { error: (iss) => `expected ${what}, got ${shown(iss.input)}` });
  return z.array(item).min(1).max(entries);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Whether `v` is a real calendar date written `YYYY-MM-DD` (2011-02-30 is not).
 *
 * @example
 * ```ts
 * import { isIsoDate } from "./dataset_schema.ts";
 * import { equal } from "node:assert/strict";
 * equal(isIsoDate("2012-02-29"), true);
 * equal(isIsoDate("2011-02-30"), false);
 * ```
 */
export function isIsoDate(v: string): boolean {
  const t = Date.parse(v + "T00:00:00Z");
  return ISO_DATE.test(v) && !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === v;
}

/** An ISO calendar date `YYYY-MM-DD` (`nullable`: or null, and the message says so). */
const isoDate = (nullable = false) =>
  z.string({
    error: (iss) =>
      nullable
        ? `expected a date string or null (YYYY-MM-DD), got ${shown(iss.input)}`
        : `expected an ISO date YYYY-MM-DD, got ${shown(iss.input)}`,
  })
    .refine(isIsoDate, {
      error: (iss) => `expected an ISO date YYYY-MM-DD, got ${shown(iss.input)}`,
    });

/**
 * Why `p` cannot serve as a cleaning pattern, or null: it must be a regular expression that both
 * JavaScript and the cleaning engine (polars, Rust `regex`) run, so no look-around and no
 * backreferences.
 *
 * @example
 * ```ts
 * import { patternProblem } from "./dataset_schema.ts";
 * import { equal, match } from "node:assert/strict";
 * equal(patternProblem("^gift_"), null);
 * match(patternProblem("^(?!85)")!, /look-around/);
 * match(patternProblem("(unclosed")!, /invalid regular expression/);
 * ```
 */
export function patternProblem(p: string): string | null {
  if (/\(\?<?[=!]|\\[1-9]/.test(p)) {
    return "unsupported regular expression: look-around and backreferences do not run in polars";
  }
  try {
    new RegExp(p);
  } catch (e) {
    return `invalid regular expression: ${(e as Error).message}`;
  }
  return null;
}

/** A regular expression both engines run. */
const enginePattern = () =>
  text().superRefine((p, ctx) => {
    const problem = patternProblem(p);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: p });
  });

/** A word meaning "missing": non-empty, without spaces around it. */
const nullWord = z.string().superRefine((w, ctx) => {
  if (w !== w.trim() || w === "") {
    ctx.addIssue({
      code: "custom",
      input: w,
      message:
        `${shown(w)}: values are compared after trimming, so a null word must be non-empty ` +
        "without leading or trailing spaces (an empty field is always missing)",
    });
  }
});

const STRFTIME = /%[YmdHMSyjbBeIpfzZT%]/;

/** Valid forms of `timezone`, for messages. */
export const TIME_ZONE_FORMS =
  'an IANA zone name such as "Europe/Berlin" or "UTC", or a fixed offset from UTC written ' +
  '±HH:MM such as "+02:00" or "-05:30"';

/**
 * `timezone` in its canonical form, or the reason it is refused: an IANA zone name (letter case
 * as in the zone database: `europe/berlin` becomes `Europe/Berlin`), or a fixed offset `±HH:MM`
 * (`±HHMM` is written `±HH:MM`) from −12:00 to +14:00. `+2`, `GMT+2`, `UTC+02:00` or an unknown
 * name are refused with the valid forms.
 *
 * @example
 * ```ts
 * import { canonicalTimeZone } from "./dataset_schema.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(canonicalTimeZone("+0530"), { zone: "+05:30" });
 * deepEqual(canonicalTimeZone("europe/berlin"), { zone: "Europe/Berlin" });
 * ```
 */
export function canonicalTimeZone(tz: string): { zone: string } | { problem: string } {
  const offset = /^([+-])(\d{2}):?(\d{2})$/.exec(tz);
  if (offset) {
    const minutes = (offset[1] === "-" ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));
    if (Number(offset[3]) > 59 || minutes < -12 * 60 || minutes > 14 * 60) {
      return { problem: `${shown(tz)} is no offset from UTC (−12:00 to +14:00)` };
    }
    return { zone: `${offset[1]}${offset[2]}:${offset[3]}` };
  }
  if (/^(utc|gmt)\s*[+-]|^[+-]/i.test(tz)) {
    return { problem: `${shown(tz)} is not a time zone; valid forms: ${TIME_ZONE_FORMS}` };
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-GB", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return { problem: `unknown time zone ${shown(tz)}; valid forms: ${TIME_ZONE_FORMS}` };
  }
  return { zone: resolved.toLowerCase() === tz.toLowerCase() ? resolved : tz };
}

// ---------------------------------------------------------------------------------------------
// Sections

const columnName = z.string({
  error: (iss) => `expected a source column name, got ${shown(iss.input)}`,
}).min(1, { error: () => `expected a source column name, got ""` });

/** `files[].columns`. */
const ColumnsSchema = z.strictObject(
  Object.fromEntries(
    MAPPABLE_COLUMNS.map((
      c,
    ) => [c, columnName.optional().describe(`Your column of: ${COLUMN_DOCS[c]}.`)]),
  ) as Record<typeof MAPPABLE_COLUMNS[number], z.ZodOptional<typeof columnName>>,
).describe(
  "Your column for each canonical column. Required: customer_id, timestamp, quantity, and " +
    "unit_price or line_value; optional: invoice, stock_code, description, country. Not used " +
    'by (and not allowed for) a "customers" file.',
);

/** One entry of `files`. */
export const FileSchema = z.strictObject({
  name: text().optional().describe(
    "File name, looked up in data/raw/, the mirror, then the download (default: the last part " +
      "of `path`).",
  ),
  mirrorPath: text().optional().describe("Path below the mirror folder (default: `name`)."),
  path: text().nullable().default(null).describe(
    "A path or glob (`*`, `?`, `**`, `{a,b}`) relative to the folder of the JSON file that " +
      "holds this description; bypasses the lookup by name. A literal file that exists is used " +
      "as it is, even if its name contains glob characters.",
  ),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, {
    error: () => "expected 64 lowercase hexadecimal digits",
  }).nullable().default(null).describe("Expected sha256 of the file (null: not checked)."),
  rows: int({ min: 0, max: LIMITS.rows.max }).nullable().default(null).describe(
    "Expected number of data rows (null: not checked; blank lines are not rows).",
  ),
  format: oneOf(FORMATS, (got) => `unknown format ${got} (allowed: ${FORMATS.join(", ")})`)
    .describe(
      'File format. "customers": a Parquet table with one row per customer, as the warehouse ' +
        "SQL export writes it; a dataset's files are either all customer tables or all " +
        "transaction files, and column mapping does not apply to a customer table. The build " +
        "reads it back as the customer table (RFM scores and segments, K-Means segments; no " +
        "loyalty model, which needs the purchase history).",
    ),
  header: z.boolean().optional().describe(
    'Whether a text file has a header line (default true; false for "whitespace").',
  ),
  fields: z.array(text()).min(1).nullable().default(null).describe(
    "Field names of a header-less text file, in order.",
  ),
  sheet: text().nullable().default(null).describe(
    "Sheet of the downloaded workbook that holds this file's rows.",
  ),
  sheetRows: int({ min: 0, max: LIMITS.rows.max }).nullable().optional().describe(
    "Expected data rows of that sheet in the official download (default: `rows`).",
  ),
  columns: ColumnsSchema.optional(),
  timestampFormat: text().refine((f) => STRFTIME.test(f), {
    error: (iss) => `${shown(iss.input)} has no strftime directive such as %Y`,
  }).optional().describe(
    `strftime format of text timestamps (default "${DEFAULT_TIMESTAMP_FORMAT}"; "%Y%m%d" for ` +
      "dates only); it must match the whole value.",
  ),
  encoding: oneOf(
    ENCODINGS,
    (got) => `unknown encoding ${got} (allowed: ${ENCODINGS.join(", ")})`,
  ).optional().describe(
    'Character encoding of a text file (default "utf-8"; "utf-16" needs a byte-order mark).',
  ),
  nullWords: z.array(nullWord).max(LIMITS.nullWords.max).optional().describe(
    "Field values meaning missing in this file, in every column, compared after trimming " +
      "(default: cleaning.nullWords; [] for none).",
  ),
});

/** `download`. */
const DownloadSchema = z.strictObject({
  url: text().describe("Address of the archive."),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, {
    error: () => "expected 64 lowercase hexadecimal digits",
  }).nullable().default(null).describe(
    "Expected sha256 of the archive (null: unknown, and the download is refused).",
  ),
  kind: oneOf(DOWNLOAD_KINDS, (got) => `expected "zip-xlsx" or "zip-text", got ${got}`).describe(
    "A zip with one workbook whose sheets are the files, or a zip with text files.",
  ),
  member: text().describe("Name of the member inside the zip."),
}).describe("How to fetch the files from their official source when no local copy exists.");

/** A cancellation or adjustment rule; `kinds` are the rules allowed. */
function lineRule<const T extends readonly [string, ...string[]]>(kinds: T, what: string) {
  return z.strictObject({
    rule: oneOf(
      kinds,
      (got) => `unknown rule ${got} (allowed: ${kinds.map((k) => `"${k}"`).join(", ")})`,
    )
      .describe(
        '"prefix": the invoice starts with `prefix`; "pattern": the invoice matches the regular ' +
          'expression `pattern`; "negative-quantity": the quantity is below zero (cancellations ' +
          'only); "off": no line is one.',
      ),
    prefix: text().optional().describe(`The invoice prefix (rule "prefix"; default "${what}").`),
    pattern: enginePattern().optional().describe(
      'The regular expression (rule "pattern"; no look-around or backreferences).',
    ),
  });
}

/** `cleaning`. */
const CleaningSchema = z.strictObject({
  nonProductCodes: z.array(z.string()).max(LIMITS.listEntries.max).default([]).describe(
    "Stock codes that are not products (postage, fees, manual lines …).",
  ),
  nonProductPatterns: z.array(enginePattern()).max(LIMITS.patterns.max).default([]).describe(
    "Regular expressions; a stock code matching any is not a product (no look-around or " +
      "backreferences: they must run in polars).",
  ),
  dropExactDuplicates: z.boolean().default(true).describe(
    "Drop exact duplicate lines (turn off where identical lines can be genuine).",
  ),
  cancellation: lineRule(LINE_RULE_KINDS, "C").optional().describe(
    'Which lines are cancellations (default: { "rule": "prefix", "prefix": "C" }).',
  ),
  adjustment: lineRule(["prefix", "pattern", "off"] as const, "A").optional().describe(
    'Which lines are bad-debt adjustments (default: { "rule": "prefix", "prefix": "A" }).',
  ),
  warnShare: num(LIMITS.warnShare).default(LIMITS.warnShare.default).describe(
    "A rule of this configuration that drops more than this share of a file's lines is " +
      "reported as a warning.",
  ),
  nullWords: z.array(nullWord).max(LIMITS.nullWords.max).default([...DEFAULT_NULL_WORDS])
    .describe(
      "Default field values meaning missing, for files without their own nullWords (not NA: " +
        "it is Namibia's country code).",
    ),
  timestamps: z.strictObject({
    notAfter: isoDate(true).nullable().default(null).describe(
      "The last plausible day (null: the build date).",
    ),
    bulkMargin: num(LIMITS.bulkMargin).nullable().default(LIMITS.bulkMargin.default).describe(
      "How far outside the bulk of the data (1st to 99th percentile) a timestamp may lie, in " +
        "multiples of the bulk's span (at least one year); null: off.",
    ),
  }).prefault({}).describe(
    "Plausibility of timestamps (rules future_timestamp and implausible_timestamp).",
  ),
  outliers: z.strictObject({
    matchCancelledOrders: z.boolean().default(true).describe(
      "Drop purchase lines that a later cancellation reverses exactly.",
    ),
    logValueMadMultiplier: num(LIMITS.logValueMadMultiplier).nullable()
      .default(LIMITS.logValueMadMultiplier.default).describe(
        "Drop lines whose log10 line value lies more than this many scaled median absolute " +
          "deviations from the median (null: off).",
      ),
  }).prefault({}).describe("Outlier rules."),
}).prefault({}).describe("Cleaning rules (see the README's Cleaning rules).");

const cuts = (metric: string) =>
  z.array(z.number()).optional().describe(`Upper cut points of ${metric}, increasing.`);

/** `rfm`. */
const RfmSchema = z.strictObject({
  bins: int(LIMITS.rfmBins).default(LIMITS.rfmBins.default).describe("Number of score bins."),
  cutPoints: z.strictObject({
    recency_days: cuts("recency (days)"),
    frequency: cuts("frequency"),
    monetary: cuts("monetary value"),
  }).nullable()
    .default(null).describe(
      "Custom upper cut points per metric (bins − 1 strictly increasing numbers), or null for " +
        "quantiles.",
    ),
  guards: z.strictObject({
    recencyMultiple: num(LIMITS.recencyMultiple).nullable()
      .default(LIMITS.recencyMultiple.default).describe(
        "A customer keeps a loyalty-named segment only with a recency of at most this multiple " +
          "of the typical days between purchases (null: off).",
      ),
    maxRecencyDays: int(LIMITS.maxRecencyDays).nullable()
      .default(LIMITS.maxRecencyDays.default).describe(
        "… and at most this many days (null: off).",
      ),
  }).prefault({}).describe("Recency guards of the segments named for loyalty."),
}).prefault({}).describe("RFM scoring.");

const features = (values: readonly string[], message: (got: string) => string) =>
  z.array(oneOf(values as [string, ...string[]], message));

const modelFeature = (got: string) =>
  `unknown feature ${got} (allowed: ${MODEL_FEATURES.join(", ")})`;

const DEFAULT_FEATURES = [
  "recency_days",
  "frequency",
  "monetary",
  "tenure_days",
  "avg_order_value",
];

/** `model`. */
const ModelSchema = z.strictObject({
  seed: int(LIMITS.seed).default(LIMITS.seed.default).describe(
    "Master seed; every random choice derives from it.",
  ),
  features: features(MODEL_FEATURES, modelFeature).min(1).default(DEFAULT_FEATURES).describe(
    "Customer features of the segmentation.",
  ),
  logFeatures: features(MODEL_FEATURES, modelFeature).default(DEFAULT_FEATURES).describe(
    "Features transformed with log1p before standardisation (a subset of features).",
  ),
  kmeans: z.strictObject({
    kMin: int(LIMITS.kMin).default(LIMITS.kMin.default).describe("Smallest k tried."),
    kMax: int(LIMITS.kMax).default(LIMITS.kMax.default).describe(
      "Largest k tried (at least kMin; capped by the number of distinct customers, with a note).",
    ),
    restarts: int(LIMITS.restarts).default(LIMITS.restarts.default).describe(
      "K-Means++ restarts per k.",
    ),
    maxIterations: int(LIMITS.maxIterations).default(LIMITS.maxIterations.default).describe(
      "Iterations per restart at most.",
    ),
    k: int(LIMITS.k).nullable().default(null).describe(
      "A fixed k (overrides the selection rule), or null.",
    ),
    silhouetteSample: int(LIMITS.silhouetteSample).nullable().default(null).describe(
      "Silhouette on a fixed-seed sample of this many customers, or null for all of them.",
    ),
    stabilitySeeds: int(LIMITS.stabilitySeeds).default(LIMITS.stabilitySeeds.default).describe(
      "Seeds of the stability check.",
    ),
  }).prefault({}).describe("K-Means segmentation."),
  forward: z.strictObject({
    cutoff: isoDate().describe(
      "First day of the outcome window (ISO date); features use only earlier transactions.",
    ),
    windowEnd: isoDate().describe("First day after the outcome window (ISO date)."),
    levels: z.array(text()).length(3, {
      error: () => "expected exactly three level names, lowest first",
    }).default(["lapsed", "occasional", "loyal"]).describe(
      "Three distinct level names, lowest first.",
    ),
    occasionalMinInvoices: int(LIMITS.occasionalMinInvoices).default(
      LIMITS.occasionalMinInvoices.default,
    ).describe("Invoices in the window to be above the lowest level."),
    loyalMinInvoices: int(LIMITS.loyalMinInvoices).default(LIMITS.loyalMinInvoices.default)
      .describe("Invoices in the window to reach the top level (more than occasionalMinInvoices)."),
  }).prefault({} as { cutoff: string; windowEnd: string }).describe(
    "Forward-looking loyalty label (the outcome window has no default).",
  ),
  knn: z.strictObject({
    kGrid: intGrid(
      LIMITS.knnK,
      `positive integers up to ${LIMITS.knnK.max}`,
      LIMITS.kGridEntries.max,
    )
      .default([1, 3, 5, 7, 9, 11, 15, 21, 31, 41, 51]).describe("Candidate k."),
    weights: z.array(oneOf(
      ["uniform", "distance"] as const,
      (got) => `expected "uniform" or "distance", got ${got}`,
    )).min(1).max(2).default(["uniform", "distance"]).describe("Candidate weightings."),
    folds: int(LIMITS.folds).default(LIMITS.folds.default).describe("Cross-validation folds."),
    testShare: num(LIMITS.testShare).default(LIMITS.testShare.default).describe(
      "Share of customers held out for testing.",
    ),
  }).prefault({}).describe("KNN tuning of the segment classifier."),
  score: z.strictObject({
    min: num(LIMITS.score).default(LIMITS.score.defaultMin).describe("Lowest score."),
    max: num(LIMITS.score).default(LIMITS.score.defaultMax).describe("Highest score (above min)."),
    bands: z.array(text()).min(LIMITS.bands.min).max(LIMITS.bands.max)
      .default(["A", "B", "C", "D", "E"]).describe("Distinct band names, best first."),
  }).prefault({}).describe("Score scale."),
  loyalty: z.strictObject({
    features: features(
      WINDOW_FEATURES,
      (got) => `${got} is not a look-back feature (allowed: ${WINDOW_FEATURES.join(", ")})`,
    ).min(1).default([
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
    ]).describe(
      "Candidate features (registry features of scope window, each once); cross-validation " +
        "gives each a weight in the distance, 0 dropping it.",
    ),
    lookbackDays: int(LIMITS.lookbackDays).default(LIMITS.lookbackDays.default).describe(
      "Days of the look-back window every feature is computed over.",
    ),
    snapshots: int(LIMITS.snapshots).default(LIMITS.snapshots.default).describe(
      "Training snapshots: the cutoff and up to snapshots − 1 earlier cutoffs.",
    ),
    snapshotStepDays: int(LIMITS.snapshotStepDays).default(LIMITS.snapshotStepDays.default)
      .describe("Days between two snapshot cutoffs."),
    completeHistory: z.boolean().default(false).describe(
      "Whether the data hold every purchase of their customers from the first one on (then a " +
        "snapshot's look-back may start before the first day of the data).",
    ),
    kGrid: intGrid(
      LIMITS.knnK,
      `whole numbers from ${LIMITS.knnK.min} to ${LIMITS.knnK.max}`,
      LIMITS.kGridEntries.max,
    ).default([5, 10, 15, 25, 35, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000])
      .describe("Candidate k of the loyalty KNN (sorted, duplicates removed)."),
    weightGrid: z.array(
      z.number({
        error: (iss) =>
          `expected numbers from ${LIMITS.weight.min} to ${LIMITS.weight.max}, got ${
            shown(iss.input)
          }`,
      }).min(LIMITS.weight.min, {
        error: (iss) =>
          `expected numbers from ${LIMITS.weight.min} to ${LIMITS.weight.max}, got ${
            shown(iss.input)
          }`,
      }).max(LIMITS.weight.max, {
        error: (iss) =>
          `expected numbers from ${LIMITS.weight.min} to ${LIMITS.weight.max}, got ${
            shown(iss.input)
          }`,
      }),
    ).min(1).max(LIMITS.weightGridEntries.max).default([0, 0.5, 1, 2]).describe(
      "Candidate weights of each feature in the distance (must include 1).",
    ),
    weightPasses: int(LIMITS.weightPasses).default(LIMITS.weightPasses.default).describe(
      "Passes of the coordinate search over the features (0: every weight stays 1).",
    ),
    tuningRows: int(LIMITS.tuningRows).default(LIMITS.tuningRows.default).describe(
      "Most training rows used by the feature-weight search.",
    ),
    distanceOffset: num(LIMITS.distanceOffset).default(LIMITS.distanceOffset.default).describe(
      "Offset ε of the distance weighting 1 / (d + ε).",
    ),
    calibration: oneOf(
      ["isotonic", "none"] as const,
      (got) => `expected "isotonic" or "none", got ${got}`,
    ).default("isotonic").describe("Calibration of the probabilities."),
    bootstrap: int(LIMITS.bootstrap).default(LIMITS.bootstrap.default).describe(
      "Resamples of the paired bootstrap of the held-out metrics (0: no intervals).",
    ),
    gbm: z.strictObject({
      rounds: int(LIMITS.gbm.rounds).default(LIMITS.gbm.rounds.default).describe(
        "Boosting rounds.",
      ),
      depth: int(LIMITS.gbm.depth).default(LIMITS.gbm.depth.default).describe("Tree depth."),
      learningRate: num(LIMITS.gbm.learningRate).default(LIMITS.gbm.learningRate.default)
        .describe("Learning rate."),
      bins: int(LIMITS.gbm.bins).default(LIMITS.gbm.bins.default).describe("Histogram bins."),
      minLeaf: int(LIMITS.gbm.minLeaf).default(LIMITS.gbm.minLeaf.default).describe(
        "Fewest customers in a leaf.",
      ),
    }).prefault({}).describe("The gradient-boosted trees baseline."),
  }).prefault({}).describe("The loyalty model."),
}).prefault({}).describe("Model settings (segmentation and loyalty).");

/** One dataset description (a stand-alone dataset file, or an entry of `datasets`). */
export const DatasetSchema = z.strictObject({
  $schema: z.string().optional().describe(
    "Address of this JSON Schema, for editors (ignored by the build).",
  ),
  id: text().regex(/^[a-z0-9][a-z0-9._-]*$/, {
    error: (iss) =>
      `${shown(iss.input)} must be lowercase letters, digits, dot, dash or underscore`,
  }).max(64).describe("Lowercase name: letters, digits, dot, dash or underscore."),
  title: text().optional().describe("Title shown in the report (default: id)."),
  description: z.string().default("").describe("One paragraph about the data."),
  source: z.strictObject({
    citation: text().describe("How to cite the data (shown on every page)."),
    url: z.string().default("").describe("Address of the data's source."),
    licence: z.string().default("").describe("Licence of the data."),
  }).nullable().default(null).describe(
    "Where the data come from, for the report's footer and Methods page (default: none shown).",
  ),
  engine: oneOf(ENGINES, (got) => `unknown engine ${got} (allowed: ${ENGINES.join(", ")})`)
    .default("polars").describe(
      'The engine that runs ingest and cleaning: "polars" (in process) or "duckdb" (the SQL ' +
        "generated from the rules, the one `deno task sql` prints, on embedded DuckDB); both " +
        "give the same clean lines and customer table. `build --engine` overrides it.",
    ),
  timezone: z.string({
    error: (iss) => `expected a non-empty string, got ${shown(iss.input)}`,
  }).transform((tz, ctx) => {
    const r = canonicalTimeZone(tz);
    if ("problem" in r) {
      ctx.issues.push({ code: "custom", message: r.problem, input: tz });
      return z.NEVER;
    }
    return r.zone;
  }).prefault("UTC").describe(
    `Time zone of the timestamps in the files: ${TIME_ZONE_FORMS}. A timestamp with its own ` +
      "offset, or a time-zone-aware Parquet column, keeps its own.",
  ),
  currency: text().default("GBP").describe("Currency of the amounts, shown in the report."),
  analysisDate: isoDate(true).nullable().default(null).describe(
    "Date recency is measured from (ISO date), or null for the day after the last transaction.",
  ),
  outputs: z.strictObject({
    reports: text().optional().describe("Report folder (default: <workspace>/reports/<id>)."),
    processed: text().optional().describe(
      "Processed-data folder (default: <workspace>/data/processed/<id>).",
    ),
  }).prefault({}).describe(
    "Output folders. A relative path is relative to the folder of the JSON file that holds " +
      "this description (the same rule as files[].path); the defaults are in the workspace.",
  ),
  download: DownloadSchema.nullable().default(null),
  files: z.array(FileSchema).min(1, { error: () => "expected a non-empty array of files" })
    .max(LIMITS.files.max).describe("The input files."),
  cleaning: CleaningSchema,
  rfm: RfmSchema,
  model: ModelSchema,
}).meta({
  id: "dataset",
  title: "Dataset description",
  description: "One dataset of the customer-scoring workspace: its files, cleaning, RFM and " +
    "model settings.",
});

/** The registry `data/datasets.json`. */
export const RegistrySchema = z.strictObject({
  $schema: z.string().optional().describe(
    "Address of this JSON Schema, for editors (ignored by the build).",
  ),
  default: text().optional().describe("Id of the default dataset (default: the first)."),
  datasets: z.array(DatasetSchema).min(1, { error: () => "expected a non-empty array" })
    .describe("The datasets."),
}).meta({
  id: "registry",
  title: "Dataset registry",
  description: "The workspace's dataset registry (data/datasets.json).",
});

/** What the schema gives for a dataset, before the rules that relate keys to each other. */
export type DatasetInput = z.output<typeof DatasetSchema>;

/** The model section as the schema gives it. */
export type ModelOutput = z.output<typeof ModelSchema>;

/** The model section's schema (for {@link DEFAULT_MODEL}-style defaults). */
export { ModelSchema };

/**
 * The JSON Schema of a dataset file or of the registry (draft 2020-12), generated from the zod
 * schema: titles and descriptions, bounds, defaults. Published as `data/dataset.schema.json`.
 *
 * @example
 * ```ts
 * import { datasetJsonSchema } from "./dataset_schema.ts";
 * import { equal } from "node:assert/strict";
 * const s = datasetJsonSchema() as { $defs: Record<string, unknown> };
 * equal(typeof s.$defs.dataset, "object");
 * ```
 */
export function datasetJsonSchema(): Record<string, unknown> {
  const both = z.union([RegistrySchema, DatasetSchema]);
  const schema = z.toJSONSchema(both, {
    io: "input",
    unrepresentable: "any",
    target: "draft-2020-12",
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: "Customer-scoring dataset description",
    description: "A dataset file (one dataset) or the registry data/datasets.json " +
      "(`default` and `datasets`). Generated from src/config/dataset_schema.ts; do not edit.",
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
}
