/**
 * Tests of the dataset configuration validator (src/config/dataset.ts): the real registry parses,
 * every kind of mistake raises a ConfigError naming the full key path, and defaults are filled in.
 */
import assert from "node:assert/strict";
import {
  DEFAULT_MODEL,
  DEFAULT_NULL_WORDS,
  parseDataset,
  parseRegistry,
  type Registry,
} from "../../src/config/dataset.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { outputResolver } from "../../src/config/registry.ts";
import { CTQP_COLUMNS, datasetJson, type JsonObject } from "../fixtures/configs.ts";

const REGISTRY_URL = new URL("../../data/datasets.json", import.meta.url);

/** A fresh, mutable copy of the real registry JSON. */
// deno-lint-ignore no-explicit-any
function realJson(): any {
  return JSON.parse(Deno.readTextFileSync(REGISTRY_URL));
}

/** The smallest valid stand-alone dataset (the shared fixture). */
const minimal = (): JsonObject => datasetJson();

/** Asserts that `fn` throws a ConfigError whose key is exactly `key`; returns it. */
function throwsAt(fn: () => unknown, key: string, message?: RegExp): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError at ${key}, got ${caught}`);
  assert.equal(caught.key, key);
  assert.equal(caught.name, "ConfigError");
  assert.ok(
    caught.message.startsWith(`${key}: `),
    `message should start with the key: ${caught.message}`,
  );
  if (message) assert.match(caught.message, message);
  return caught;
}

Deno.test("config: the real data/datasets.json parses with the expected content", () => {
  // Relative outputs are relative to the registry's folder (data/), as files[].path is; the
  // resolver rewrites them relative to the workspace root.
  const reg: Registry = parseRegistry(realJson(), "data", {
    resolveOutput: outputResolver("data", "."),
  });
  assert.equal(reg.default, "online-retail-ii");
  assert.deepEqual(reg.datasets.map((d) => d.id), ["online-retail-ii", "cdnow"]);
  const [ori, cd] = reg.datasets;
  assert.equal(ori.timezone, "Europe/London");
  assert.equal(ori.analysisDate, null);
  assert.equal(ori.files.length, 2);
  assert.deepEqual(ori.files.map((f) => f.mirrorPath), [
    "online-retail-ii/online_retail_II_2009-2010.parquet",
    "online-retail-ii/online_retail_2010-2011.parquet",
  ]);
  assert.deepEqual(ori.files.map((f) => f.rows), [525461, 541909]);
  assert.equal(ori.files[0].columns.customer_id, "Customer ID");
  assert.equal(ori.files[1].columns.customer_id, "CustomerID");
  assert.equal(ori.files[1].columns.unit_price, "UnitPrice");
  assert.equal(ori.files[0].header, true);
  assert.equal(ori.files[0].path, null);
  assert.equal(ori.cleaning.nonProductCodes.length, 18);
  assert.ok(ori.cleaning.nonProductCodes.includes("POST"));
  assert.deepEqual(ori.cleaning.nonProductPatterns, ["^gift_"]);
  assert.deepEqual(ori.cleaning.outliers, { matchCancelledOrders: true, logValueMadMultiplier: 8 });
  assert.deepEqual(ori.rfm, {
    bins: 5,
    cutPoints: null,
    guards: { recencyMultiple: 3, maxRecencyDays: 365 },
  });
  assert.equal(ori.model.forward.cutoff, "2010-12-01");
  assert.equal(ori.model.forward.windowEnd, "2011-12-10");
  assert.equal(ori.download?.kind, "zip-xlsx");
  assert.equal(ori.baseDir, "data");
  assert.deepEqual(ori.outputs, { reports: "reports", processed: "data/processed" });
  assert.equal(ori.engine, "polars");
  assert.equal(ori.source?.licence, "CC BY 4.0");

  assert.equal(cd.timezone, "UTC");
  assert.equal(cd.currency, "USD");
  assert.equal(cd.analysisDate, "1998-07-01");
  assert.equal(cd.files[0].format, "whitespace");
  assert.equal(cd.files[0].header, true);
  assert.equal(cd.files[0].columns.line_value, "dollar_value");
  assert.equal(cd.files[0].columns.unit_price, undefined);
  assert.equal(cd.files[0].timestampFormat, "%Y%m%d");
  assert.equal(cd.cleaning.outliers.matchCancelledOrders, false);
  assert.equal(cd.cleaning.dropExactDuplicates, false);
  assert.equal(ori.cleaning.dropExactDuplicates, true);
  assert.equal(cd.model.kmeans.silhouetteSample, 6000);
  assert.deepEqual(cd.outputs, { reports: "reports/cdnow", processed: "data/processed/cdnow" });
});

Deno.test("config: an unknown key names its full key path", () => {
  const j = realJson();
  j.datasets[0].files[0].colums = j.datasets[0].files[0].columns;
  delete j.datasets[0].files[0].columns;
  throwsAt(() => parseRegistry(j), "datasets[0].files[0].colums", /unknown key/);

  const j2 = realJson();
  j2.datasets[1].rfm.binz = 4;
  throwsAt(() => parseRegistry(j2), "datasets[1].rfm.binz", /unknown key/);

  const j3 = realJson();
  j3.datasets[0].model.kmeans.restart = 3;
  throwsAt(() => parseRegistry(j3), "datasets[0].model.kmeans.restart", /unknown key/);

  const j4 = realJson();
  j4.datasets[0].files[1].columns.custmer_id = "X";
  throwsAt(() => parseRegistry(j4), "datasets[0].files[1].columns.custmer_id", /unknown key/);

  const j5 = realJson();
  j5.defaults = "cdnow";
  throwsAt(() => parseRegistry(j5), "defaults", /unknown key/);

  const j6 = realJson();
  j6.datasets[0].cleaning.outliers.matchCancelled = true;
  throwsAt(() => parseRegistry(j6), "datasets[0].cleaning.outliers.matchCancelled", /unknown key/);
});

Deno.test("config: a missing required column mapping names columns.<name>", () => {
  for (const col of ["customer_id", "timestamp", "quantity"]) {
    const j = realJson();
    delete j.datasets[0].files[1].columns[col];
    throwsAt(
      () => parseRegistry(j),
      `datasets[0].files[1].columns.${col}`,
      /missing column mapping/,
    );
  }
  // Neither unit_price nor line_value.
  const j = realJson();
  delete j.datasets[0].files[0].columns.unit_price;
  throwsAt(
    () => parseRegistry(j),
    "datasets[0].files[0].columns.unit_price",
    /unit_price or line_value/,
  );
  // An empty source column name.
  const j2 = realJson();
  j2.datasets[0].files[0].columns.country = "";
  throwsAt(() => parseRegistry(j2), "datasets[0].files[0].columns.country", /source column name/);
  // No columns object at all.
  const j3 = realJson();
  delete j3.datasets[1].files[0].columns;
  throwsAt(() => parseRegistry(j3), "datasets[1].files[0].columns", /expected an object/);
});

Deno.test("config: bad file format, sha256, rows and header/fields", () => {
  const j = realJson();
  j.datasets[0].files[1].format = "xlsx";
  throwsAt(() => parseRegistry(j), "datasets[0].files[1].format", /unknown format "xlsx"/);

  for (
    const bad of [
      "3912928AFEEB5DA42D97715CC71E0DB5D5535C554EBCA5F898B2B39E7AD34B28",
      "abc123",
      "g".repeat(64),
    ]
  ) {
    const j2 = realJson();
    j2.datasets[0].files[0].sha256 = bad;
    throwsAt(() => parseRegistry(j2), "datasets[0].files[0].sha256", /64 lowercase hexadecimal/);
  }
  // null sha256 is allowed (not checked).
  const j3 = realJson();
  j3.datasets[0].files[0].sha256 = null;
  assert.equal(parseRegistry(j3).datasets[0].files[0].sha256, null);

  const j4 = realJson();
  j4.datasets[0].files[0].rows = -1;
  throwsAt(() => parseRegistry(j4), "datasets[0].files[0].rows", /at least 0/);
  const j5 = realJson();
  j5.datasets[0].files[0].rows = 1.5;
  throwsAt(() => parseRegistry(j5), "datasets[0].files[0].rows", /integer/);

  // A whitespace file defaults to no header, so it needs `fields`.
  const j6 = realJson();
  delete j6.datasets[1].files[0].header;
  throwsAt(() => parseRegistry(j6), "datasets[1].files[0].fields", /field names/);
  // With fields, every mapped column must be one of them.
  const j7 = realJson();
  delete j7.datasets[1].files[0].header;
  j7.datasets[1].files[0].fields = ["customer_id", "date", "number_of_cds", "dollars"];
  throwsAt(
    () => parseRegistry(j7),
    "datasets[1].files[0].columns.line_value",
    /not one of the declared fields/,
  );
  j7.datasets[1].files[0].fields[3] = "dollar_value";
  const parsed = parseRegistry(j7).datasets[1].files[0];
  assert.equal(parsed.header, false);
  assert.deepEqual(parsed.fields, ["customer_id", "date", "number_of_cds", "dollar_value"]);

  // A timestamp format without any strftime directive.
  const j8 = realJson();
  j8.datasets[1].files[0].timestampFormat = "YYYYMMDD";
  throwsAt(() => parseRegistry(j8), "datasets[1].files[0].timestampFormat", /strftime/);
});

Deno.test("config: duplicate file names and dataset ids; unknown default", () => {
  const j = realJson();
  j.datasets[0].files[1].name = j.datasets[0].files[0].name;
  throwsAt(() => parseRegistry(j), "datasets[0].files[1].name", /duplicate file name/);

  const j2 = realJson();
  j2.datasets[1].id = "online-retail-ii";
  throwsAt(() => parseRegistry(j2), "datasets[1].id", /duplicate id/);

  const j3 = realJson();
  j3.default = "nope";
  throwsAt(() => parseRegistry(j3), "default", /no dataset has id "nope"/);

  const j4 = realJson();
  j4.datasets[0].id = "Online Retail";
  throwsAt(() => parseRegistry(j4), "datasets[0].id", /lowercase/);

  const j5 = realJson();
  j5.datasets = [];
  throwsAt(() => parseRegistry(j5), "datasets", /non-empty array/);

  const j6 = realJson();
  j6.datasets[0].files = [];
  throwsAt(() => parseRegistry(j6), "datasets[0].files", /non-empty array/);
});

Deno.test("config: a bad time zone names the timezone key", () => {
  const j = realJson();
  j.datasets[0].timezone = "Europe/Londn";
  throwsAt(() => parseRegistry(j), "datasets[0].timezone", /unknown time zone "Europe\/Londn"/);
  const d = minimal();
  d.timezone = "Mars/Olympus_Mons";
  throwsAt(() => parseDataset(d), "timezone", /unknown time zone/);
  // Valid IANA zones are accepted.
  d.timezone = "America/New_York";
  assert.equal(parseDataset(d).timezone, "America/New_York");
});

Deno.test("config: malformed ISO dates are rejected with their key", () => {
  for (
    const bad of ["2011-13-01", "11/12/2011", "2011-1-05", "2011-12-10T00:00:00", "2011-00-10"]
  ) {
    const j = realJson();
    j.datasets[0].analysisDate = bad;
    throwsAt(() => parseRegistry(j), "datasets[0].analysisDate", /ISO date/);
  }
  const j = realJson();
  j.datasets[1].model.forward.cutoff = "1997-10-1";
  throwsAt(() => parseRegistry(j), "datasets[1].model.forward.cutoff", /ISO date/);
  const j2 = realJson();
  j2.datasets[1].model.forward.windowEnd = "1997-09-30";
  throwsAt(() => parseRegistry(j2), "datasets[1].model.forward.windowEnd", /after cutoff/);
  const j3 = realJson();
  j3.datasets[0].analysisDate = 20111210;
  throwsAt(() => parseRegistry(j3), "datasets[0].analysisDate", /string or null/);
});

// Regression, fixed (src/config.ts, isoDate): `Date.parse("2011-02-30T00:00:00Z")` is not NaN in V8 (it rolls
// over to 2011-03-02), so impossible calendar dates such as 2011-02-30 or 2011-04-31 pass the
// validator and later shift the analysis date silently.
Deno.test("config: impossible calendar dates (2011-02-30, 2011-04-31) are rejected", () => {
  for (const bad of ["2011-02-30", "2011-04-31", "2010-02-29"]) {
    const d = minimal();
    d.analysisDate = bad;
    throwsAt(() => parseDataset(d), "analysisDate", /ISO date/);
  }
  // A real leap day is fine.
  const ok = minimal();
  ok.analysisDate = "2012-02-29";
  assert.equal(parseDataset(ok).analysisDate, "2012-02-29");
});

Deno.test("config: custom cut points must be strictly increasing and bins - 1 long", () => {
  const j = realJson();
  j.datasets[0].rfm.cutPoints = { monetary: [100, 200, 200, 400] };
  throwsAt(() => parseRegistry(j), "datasets[0].rfm.cutPoints.monetary", /strictly increasing/);

  const j2 = realJson();
  j2.datasets[0].rfm.cutPoints = { frequency: [5, 4, 6, 7] };
  throwsAt(() => parseRegistry(j2), "datasets[0].rfm.cutPoints.frequency", /strictly increasing/);

  const j3 = realJson();
  j3.datasets[0].rfm.cutPoints = { recency_days: [30, 90, 180] };
  throwsAt(
    () => parseRegistry(j3),
    "datasets[0].rfm.cutPoints.recency_days",
    /expected 4 cut points, got 3/,
  );

  // The count follows `bins`.
  const j4 = realJson();
  j4.datasets[0].rfm = { bins: 3, cutPoints: { recency_days: [30, 90, 180] } };
  throwsAt(
    () => parseRegistry(j4),
    "datasets[0].rfm.cutPoints.recency_days",
    /expected 2 cut points, got 3/,
  );
  j4.datasets[0].rfm.cutPoints.recency_days = [30, 90];
  const ok = parseRegistry(j4).datasets[0].rfm;
  assert.deepEqual(ok.cutPoints, { recency_days: [30, 90] });
  assert.equal(ok.bins, 3);

  const j5 = realJson();
  j5.datasets[0].rfm.cutPoints = { monetary: [1, 2, "3", 4] };
  throwsAt(() => parseRegistry(j5), "datasets[0].rfm.cutPoints.monetary", /array of numbers/);

  const j6 = realJson();
  j6.datasets[0].rfm.cutPoints = { tenure_days: [1, 2, 3, 4] };
  throwsAt(() => parseRegistry(j6), "datasets[0].rfm.cutPoints.tenure_days", /unknown key/);

  for (const bins of [1, 11, 2.5]) {
    const j7 = realJson();
    j7.datasets[0].rfm.bins = bins;
    throwsAt(() => parseRegistry(j7), "datasets[0].rfm.bins");
  }
});

Deno.test("config: model features must be known; logFeatures a subset; other model checks", () => {
  const j = realJson();
  j.datasets[0].model.features = ["recency_days", "country"];
  throwsAt(() => parseRegistry(j), "datasets[0].model.features[1]", /unknown feature "country"/);

  const j2 = realJson();
  j2.datasets[0].model.features = ["recency_days", "frequency"];
  // logFeatures still lists monetary (index 2), which is no longer a feature.
  throwsAt(() => parseRegistry(j2), "datasets[0].model.logFeatures[2]", /not in features/);

  const j3 = realJson();
  j3.datasets[0].model.forward.levels = ["lapsed", "loyal"];
  throwsAt(() => parseRegistry(j3), "datasets[0].model.forward.levels", /three level names/);

  const j4 = realJson();
  j4.datasets[0].model.forward.loyalMinInvoices = 1;
  throwsAt(() => parseRegistry(j4), "datasets[0].model.forward.loyalMinInvoices", /at least 2/);

  const j5 = realJson();
  j5.datasets[0].model.knn.weights = ["uniform", "gaussian"];
  throwsAt(() => parseRegistry(j5), "datasets[0].model.knn.weights[1]", /"gaussian"/);

  const j6 = realJson();
  j6.datasets[0].model.knn.kGrid = [1, 0, 3];
  throwsAt(() => parseRegistry(j6), "datasets[0].model.knn.kGrid", /positive integers/);

  const j7 = realJson();
  j7.datasets[0].model.kmeans.kMax = 1;
  throwsAt(() => parseRegistry(j7), "datasets[0].model.kmeans.kMax", /at least 2/);

  const j8 = realJson();
  j8.datasets[0].model.score.max = 300;
  throwsAt(() => parseRegistry(j8), "datasets[0].model.score.max", /must exceed min 300/);

  const j9 = realJson();
  j9.datasets[0].model.knn.testShare = 0.9;
  throwsAt(() => parseRegistry(j9), "datasets[0].model.knn.testShare", /at most 0.5/);

  const j10 = realJson();
  j10.datasets[0].cleaning.nonProductPatterns = ["^gift_", "(unclosed"];
  throwsAt(
    () => parseRegistry(j10),
    "datasets[0].cleaning.nonProductPatterns[1]",
    /invalid regular expression/,
  );

  const j11 = realJson();
  j11.datasets[0].cleaning.outliers.logValueMadMultiplier = 0.5;
  throwsAt(
    () => parseRegistry(j11),
    "datasets[0].cleaning.outliers.logValueMadMultiplier",
    /at least 1/,
  );

  const j13 = realJson();
  j13.datasets[1].cleaning.dropExactDuplicates = "no";
  throwsAt(() => parseRegistry(j13), "datasets[1].cleaning.dropExactDuplicates", /true or false/);

  const j12 = realJson();
  j12.datasets[0].download.kind = "tarball";
  throwsAt(() => parseRegistry(j12), "datasets[0].download.kind", /zip-xlsx/);
});

Deno.test("config: a stand-alone dataset reports key paths without a datasets[i] prefix", () => {
  const d = minimal();
  d.files[0].colums = d.files[0].columns;
  delete d.files[0].columns;
  throwsAt(() => parseDataset(d), "files[0].colums", /unknown key/);

  const d2 = minimal();
  d2.colour = "red";
  throwsAt(() => parseDataset(d2), "colour", /unknown key/);

  const d3 = minimal();
  delete d3.files[0].columns.quantity;
  throwsAt(() => parseDataset(d3), "files[0].columns.quantity", /missing column mapping/);

  const d4 = minimal();
  d4.rfm = { cutPoints: { monetary: [4, 3, 2, 1] } };
  throwsAt(() => parseDataset(d4), "rfm.cutPoints.monetary", /strictly increasing/);

  const d5 = minimal();
  d5.model.features = ["monetary", "age"];
  throwsAt(() => parseDataset(d5), "model.features[1]", /unknown feature/);

  // The model's forward window has no default.
  const d6 = minimal();
  delete d6.model;
  throwsAt(
    () => parseDataset(d6),
    "model.forward.cutoff",
    /expected an ISO date YYYY-MM-DD, got nothing \(the key is required\)/,
  );

  throwsAt(() => parseDataset([]), "(dataset)", /expected an object, got an array/);
  throwsAt(() => parseRegistry(null), "(registry)", /expected an object, got null/);
});

Deno.test("config: defaults are filled in for a minimal dataset", () => {
  const d = parseDataset(minimal(), "", "/some/dir");
  assert.equal(d.id, "mini");
  assert.equal(d.title, "mini");
  assert.equal(d.description, "");
  // No source block: none is shown (the site's footer and Methods page leave it out).
  assert.equal(d.source, null);
  assert.equal(d.engine, "polars");
  assert.equal(d.timezone, "UTC");
  assert.equal(d.currency, "GBP");
  assert.equal(d.analysisDate, null);
  assert.deepEqual(d.outputs, { reports: "reports/mini", processed: "data/processed/mini" });
  assert.equal(d.download, null);
  assert.equal(d.baseDir, "/some/dir");
  assert.deepEqual(d.files, [
    {
      name: "a.csv",
      mirrorPath: "a.csv",
      path: null,
      sha256: null,
      rows: null,
      format: "csv",
      header: true,
      fields: null,
      sheet: null,
      sheetRows: null,
      columns: CTQP_COLUMNS,
      timestampFormat: "%Y-%m-%d %H:%M:%S",
      encoding: "utf-8",
      nullWords: [...DEFAULT_NULL_WORDS],
    },
  ]);
  assert.deepEqual(d.cleaning, {
    nonProductCodes: [],
    nonProductPatterns: [],
    dropExactDuplicates: true,
    cancellation: { rule: "prefix", prefix: "C", pattern: null },
    adjustment: { rule: "prefix", prefix: "A", pattern: null },
    warnShare: 0.1,
    nullWords: [...DEFAULT_NULL_WORDS],
    timestamps: { notAfter: null, bulkMargin: 1 },
    outliers: { matchCancelledOrders: true, logValueMadMultiplier: 8 },
  });
  assert.deepEqual(d.rfm, {
    bins: 5,
    cutPoints: null,
    guards: { recencyMultiple: 3, maxRecencyDays: 365 },
  });
  // The documented defaults, written out (not read back from DEFAULT_MODEL).
  const all = ["recency_days", "frequency", "monetary", "tenure_days", "avg_order_value"];
  assert.deepEqual(d.model, {
    seed: 20261124,
    features: all,
    logFeatures: all,
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
      cutoff: "2010-12-01",
      windowEnd: "2011-12-10",
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
      lookbackDays: 180,
      snapshots: 3,
      snapshotStepDays: 90,
      completeHistory: false,
      kGrid: [5, 10, 15, 25, 35, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000],
      weightGrid: [0, 0.5, 1, 2],
      weightPasses: 1,
      tuningRows: 2500,
      distanceOffset: 0.1,
      calibration: "isotonic",
      bootstrap: 1000,
      gbm: { rounds: 100, depth: 3, learningRate: 0.1, bins: 32, minLeaf: 20 },
    },
  });

  // An explicit `null` multiplier disables the extreme value rule (it is not defaulted to 8).
  const off = minimal();
  off.cleaning = { outliers: { logValueMadMultiplier: null } };
  assert.equal(parseDataset(off).cleaning.outliers.logValueMadMultiplier, null);

  // `path` without `name` takes the file name from the path.
  const p = minimal();
  delete p.files[0].name;
  p.files[0].path = "raw/2011/orders.csv";
  const pf = parseDataset(p).files[0];
  assert.equal(pf.name, "orders.csv");
  assert.equal(pf.mirrorPath, "orders.csv");
  assert.equal(pf.path, "raw/2011/orders.csv");

  // The registry's default is the first dataset when not given.
  const reg = realJson();
  delete reg.default;
  assert.equal(parseRegistry(reg).default, "online-retail-ii");
});

// Questionable (src/config.ts, parseModel/strArray): list defaults are returned by reference, so a
// parsed configuration shares its arrays with DEFAULT_MODEL (and with every other dataset that
// used the default). Mutating one configuration's `model.features` changes the defaults.
Deno.test({
  name: "config: parsed defaults do not share arrays with DEFAULT_MODEL",
  fn() {
    const a = parseDataset(minimal());
    const before = [...DEFAULT_MODEL.features];
    a.model.features.push("extra");
    a.model.knn.kGrid.push(99);
    assert.deepEqual(DEFAULT_MODEL.features, before);
    assert.equal(DEFAULT_MODEL.knn.kGrid.includes(99), false);
  },
});

// Regression (fixed; src/config.ts, parseDataset, nonProductPatterns check): patterns are validated with the
// JavaScript RegExp engine, but clean.ts runs them through polars (Rust `regex`), which has no
// look-around or backreferences. "^(?!85)" passes validation and then fails deep inside
// clean() with a polars "regex parse error" instead of a ConfigError naming the key.
Deno.test("config: non-product patterns the cleaning engine cannot run are rejected up front", () => {
  for (const bad of ["^(?!85)", "(?<=x)y", "^(a)\\1$"]) {
    const d = minimal();
    d.cleaning = { nonProductPatterns: ["^gift_", bad] };
    throwsAt(() => parseDataset(d), "cleaning.nonProductPatterns[1]", /regular expression/);
  }
});

// Issue #9: the cancellation and adjustment rules are configuration, checked like every other key.
Deno.test("config: cleaning.cancellation / adjustment / warnShare — forms, defaults and mistakes", () => {
  const cleaning = (c: JsonObject) => parseDataset({ ...minimal(), cleaning: c }).cleaning;
  // The real registry keeps today's rules for Online Retail II: prefixes C and A.
  const ori = parseRegistry(realJson()).datasets[0].cleaning;
  assert.deepEqual([ori.cancellation, ori.adjustment, ori.warnShare], [
    { rule: "prefix", prefix: "C", pattern: null },
    { rule: "prefix", prefix: "A", pattern: null },
    0.1,
  ]);
  // Every form.
  assert.deepEqual(cleaning({ cancellation: { rule: "prefix", prefix: "RET-" } }).cancellation, {
    rule: "prefix",
    prefix: "RET-",
    pattern: null,
  });
  assert.deepEqual(cleaning({ cancellation: { rule: "prefix" } }).cancellation, {
    rule: "prefix",
    prefix: "C",
    pattern: null,
  });
  assert.deepEqual(cleaning({ adjustment: { rule: "prefix" } }).adjustment.prefix, "A");
  assert.deepEqual(
    cleaning({ cancellation: { rule: "pattern", pattern: "^C\\d+$" } }).cancellation,
    {
      rule: "pattern",
      prefix: null,
      pattern: "^C\\d+$",
    },
  );
  assert.deepEqual(cleaning({ cancellation: { rule: "negative-quantity" } }).cancellation, {
    rule: "negative-quantity",
    prefix: null,
    pattern: null,
  });
  assert.deepEqual(cleaning({ adjustment: { rule: "off" } }).adjustment, {
    rule: "off",
    prefix: null,
    pattern: null,
  });
  assert.equal(cleaning({ warnShare: 0 }).warnShare, 0);
  assert.equal(cleaning({ warnShare: 1 }).warnShare, 1);
  assert.equal(cleaning({ warnShare: 0.5 }).warnShare, 0.5);

  // Mistakes name the key.
  const bad = (c: JsonObject, key: string, re: RegExp) =>
    throwsAt(() => parseDataset({ ...minimal(), cleaning: c }), key, re);
  bad({ cancellation: { rule: "suffix" } }, "cleaning.cancellation.rule", /unknown rule "suffix"/);
  bad(
    { cancellation: {} },
    "cleaning.cancellation.rule",
    /expected "prefix", "pattern", "negative-quantity", "off", got nothing \(the key is required\)/,
  );
  bad({ cancellation: "C" }, "cleaning.cancellation", /expected an object, got string/);
  bad(
    { adjustment: { rule: "negative-quantity" } },
    "cleaning.adjustment.rule",
    /unknown rule "negative-quantity" \(allowed: "prefix", "pattern", "off"\)/,
  );
  bad(
    { cancellation: { rule: "prefix", prefix: "" } },
    "cleaning.cancellation.prefix",
    /non-empty/,
  );
  bad({ cancellation: { rule: "pattern" } }, "cleaning.cancellation.pattern", /non-empty string/);
  bad(
    { cancellation: { rule: "pattern", pattern: "^(?!CA-)C" } },
    "cleaning.cancellation.pattern",
    /look-around/,
  );
  bad(
    { cancellation: { rule: "pattern", pattern: "C[" } },
    "cleaning.cancellation.pattern",
    /invalid/,
  );
  // A key the rule does not use would be silently ignored: refused.
  bad(
    { cancellation: { rule: "negative-quantity", prefix: "C" } },
    "cleaning.cancellation.prefix",
    /only used with "rule": "prefix" \(the rule is "negative-quantity"\)/,
  );
  bad(
    { cancellation: { rule: "prefix", pattern: "^C" } },
    "cleaning.cancellation.pattern",
    /only used with "rule": "pattern"/,
  );
  bad({ cancellation: { rule: "off", when: 1 } }, "cleaning.cancellation.when", /unknown key/);
  bad({ warnShare: 1.5 }, "cleaning.warnShare", /must be at most 1, got 1.5/);
  bad({ warnShare: -0.1 }, "cleaning.warnShare", /must be at least 0, got -0.1/);
  bad({ warnShare: "10%" }, "cleaning.warnShare", /expected a number, got string/);
  // A long unknown rule is quoted in at most ~80 characters.
  const e = bad({ cancellation: { rule: "x".repeat(500) } }, "cleaning.cancellation.rule", /…/);
  assert.ok(e.message.includes(`"${"x".repeat(80)}…"`), e.message);
  assert.ok(!e.message.includes("x".repeat(81)), e.message);
});
