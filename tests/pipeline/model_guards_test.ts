/**
 * Impossible model settings and degenerate data: each case stops with a message naming the
 * dates and counts (ModelStageSkipped when RFM is still possible, an error when not), warns, or
 * caps k with a note — never an internal message ("empty sweep", "folds must be …") and never a
 * "perfect" model on a single level. Fixtures are small shops made here.
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { MAPPABLE_COLUMNS, type MappableColumn, parseDataset } from "../../src/config/dataset.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { ModelStageSkipped } from "../../src/model/skip.ts";
import { segmentCustomers } from "../../src/model/segmentation.ts";
import { inWorker } from "../../src/lib/worker.ts";
import { modelStage } from "../../src/pipeline/model_stage.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import {
  cleanIngested,
  type CleanStage,
  forwardData,
  rfmStage,
  toArrays,
} from "../../src/pipeline/stages.ts";
import { rng } from "./shop_fixture.ts";

/** A line: [customer, invoice, ISO time, quantity, unit price]. */
type Line = [string, string, string, number, number];

const quiet = new Progress(() => {});

/** The shop's configuration with the given model settings (and top-level extras). */
function config(model: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return parseDataset({
    id: "guards",
    files: [{
      name: "shop.csv",
      format: "csv",
      columns: { customer_id: "c", timestamp: "t", quantity: "q", unit_price: "p", invoice: "i" },
    }],
    ...extra,
    model: {
      kmeans: { kMin: 2, kMax: 3, restarts: 2, stabilitySeeds: 2 },
      forward: { cutoff: "2023-01-01", windowEnd: "2023-07-01", loyalMinInvoices: 3 },
      knn: { kGrid: [3, 5], folds: 3 },
      loyalty: { kGrid: [3, 5], bootstrap: 10, gbm: { rounds: 5 }, snapshots: 1 },
      ...model,
    },
  });
}

/** The build's cleaning of canonical lines. */
function cleaned(ds: ReturnType<typeof config>, lines: Line[]): CleanStage {
  const col = <T>(name: string, f: (l: Line, i: number) => T, type: pl.DataType) =>
    pl.Series(name, lines.map(f), type);
  const tx = pl.DataFrame({
    invoice: col("invoice", (l) => l[1], pl.Utf8),
    stock_code: col("stock_code", () => null, pl.Utf8),
    description: col("description", () => null, pl.Utf8),
    quantity: col("quantity", (l) => l[3], pl.Int64),
    timestamp: col("timestamp", (l) => new Date(l[2]), pl.Datetime("ms")),
    unit_price: col("unit_price", (l) => l[4], pl.Float64),
    line_value: col("line_value", (l) => l[3] * l[4], pl.Float64),
    customer_id: col("customer_id", (l) => l[0], pl.Utf8),
    country: col("country", () => "DE", pl.Utf8),
    source_file: col("source_file", () => "shop.csv", pl.Utf8),
    source_row: col("source_row", (_, i) => i + 1, pl.Int64),
  }).withColumns(pl.col("timestamp").cast(pl.Datetime("us")).dt.replaceTimeZone("UTC"));
  const provided = {
    "shop.csv": new Set<MappableColumn>(MAPPABLE_COLUMNS.filter((c) => c !== "stock_code")),
  };
  return cleanIngested(ds, { tx, provided, rowsRead: { "shop.csv": lines.length } }, quiet);
}

/**
 * A shop of `n` customers buying from 2022-01-01 to 2023-12-31 (every third one often, every
 * third twice, the rest once), and one order of customer "z" on 2023-12-31 so that the data
 * cover the default window whatever the draw.
 */
function shop(n: number, seed = 1): Line[] {
  const r = rng(seed);
  const out: Line[] = [];
  let invoice = 1;
  for (let c = 0; c < n; c++) {
    const orders = c % 3 === 0 ? 6 + Math.floor(r() * 8) : c % 3 === 1 ? 2 : 1;
    for (let o = 0; o < orders; o++) {
      const day = new Date(Date.UTC(2022, 0, 1) + Math.floor(r() * 729) * 86_400_000);
      out.push([`c${c}`, `i${invoice++}`, day.toISOString(), 1 + Math.floor(r() * 5), 9.5]);
    }
  }
  out.push(["z", "last", "2023-12-31T12:00:00Z", 1, 10]);
  return out;
}

/**
 * The whole model path of a build: clean → RFM → forward data → model stage (with its workers,
 * as a build runs it; `workers: false` runs every part on this thread).
 */
async function runModels(ds: ReturnType<typeof config>, lines: Line[], workers = true) {
  const c = cleaned(ds, lines);
  const rfm = rfmStage(ds, c.kept, quiet, c.quarantine);
  const current = toArrays(rfm.customers, rfm.scores.rfm_segment);
  return await modelStage(ds, current, forwardData(ds, c), {}, undefined, { workers });
}

/** Asserts that `f` throws a ModelStageSkipped whose message matches every pattern. */
function skips(f: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ModelStageSkipped, `expected ModelStageSkipped, got ${e}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

/** Messages that must never reach a user. */
const INTERNAL = /empty sweep|folds must be an integer|cannot fit a scaler|lengths don't match/;

/** Runs `f` with standard error captured; returns what was printed. */
function capture(f: () => void): string[] {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    f();
  } finally {
    console.error = original;
  }
  return lines;
}

/** {@link capture} of an async `f` (this thread's standard error; a worker's is its own). */
async function captureAsync(f: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    await f();
  } finally {
    console.error = original;
  }
  return lines;
}

Deno.test("a sound shop fits: three levels, no warning, no note", async () => {
  const ds = config();
  let m!: Awaited<ReturnType<typeof runModels>>;
  const err = await captureAsync(async () => void (m = await runModels(ds, shop(150))));
  const metrics = m.metrics as { warnings: string[]; notes: string[] };
  assert.deepEqual(metrics.warnings, []);
  assert.deepEqual(metrics.notes, []);
  assert.equal(err.filter((l) => /^(warning|note):/.test(l)).length, 0, err.join("\n"));
  assert.ok(m.loyalty.evaluation.classBalance.all.every((n) => n > 0));
});

Deno.test("a cutoff after the data end stops the model stage, naming the dates", () => {
  const ds = config({ forward: { cutoff: "2024-03-01", windowEnd: "2024-09-01" } });
  skips(
    () => forwardData(ds, cleaned(ds, shop(60))),
    /2024-03-01 to 2024-08-31/,
    /after the last purchase \(2023-12-31\)/,
    /window ends by 2024-01-01/,
  );
});

Deno.test("a window without any purchase stops; the planted fault shows why", () => {
  const ds = config();
  const before = shop(60).filter((l) => l[2] < "2023-01-01");
  skips(() => forwardData(ds, cleaned(ds, before)), /after the last purchase \(2022-12-3\d\)/);
  // Without the check every customer is "lapsed": a single level, a meaningless perfect model.
  const unchecked = forwardData(ds, cleaned(ds, before), { check: false });
  assert.ok(unchecked.labels.every((y) => y === 0));
});

Deno.test("a window the data cover for less than half stops; a short gap at its end warns", () => {
  const lines = shop(90).filter((l) => l[2] < "2023-03-01");
  const ds = config();
  skips(() => forwardData(ds, cleaned(ds, lines)), /cover \d\d of its 181 days/);
  const mostly = shop(90).filter((l) => l[2] < "2023-06-01");
  mostly.push(["z", "may", "2023-05-31T10:00:00Z", 1, 10]);
  let fd!: ReturnType<typeof forwardData>;
  const err = capture(() => (fd = forwardData(ds, cleaned(ds, mostly))));
  assert.match(fd.warnings[0], /cover 151 of its 181 days/);
  assert.ok(err.some((l) => l.startsWith("warning: the outcome window")));
});

Deno.test("a single populated level stops the model stage with the counts per level", () => {
  // Everybody buys exactly once in the window: all "occasional".
  const ds = config();
  const lines: Line[] = shop(40).filter((l) => l[2] < "2023-01-01");
  for (let c = 0; c < 40; c++) lines.push([`c${c}`, `w${c}`, "2023-03-01T10:00:00Z", 1, 10]);
  lines.push(["c0", "end", "2023-06-30T10:00:00Z", 1, 10]); // c0: two invoices, still occasional
  skips(
    () => forwardData(ds, cleaned(ds, lines)),
    /only 1 of the 3 loyalty levels/,
    /lapsed 0, occasional \d+, loyal 0/,
    /2023-01-01 to 2023-06-30/,
  );
});

Deno.test("a level with very few customers warns (stderr and metrics)", async () => {
  const ds = config();
  // 60 customers, only two of them buy three times or more in the window.
  const lines = shop(60).filter((l) => l[2] < "2023-01-01" || l[2] >= "2023-07-01");
  for (let c = 0; c < 30; c++) lines.push([`c${c}`, `w${c}`, "2023-03-01T10:00:00Z", 1, 10]);
  for (const c of ["c1", "c2"]) {
    for (let k = 0; k < 3; k++) lines.push([c, `${c}-${k}`, `2023-04-0${k + 1}T10:00:00Z`, 1, 10]);
  }
  let fd!: ReturnType<typeof forwardData>;
  const err = capture(() => (fd = forwardData(ds, cleaned(ds, lines))));
  assert.deepEqual(fd.warnings.length, 1);
  assert.match(fd.warnings[0], /"loyal" has only 2 customers/);
  assert.ok(err.some((l) => /^warning: loyalty level "loyal" has only 2/.test(l)));
  // … and the metrics carry it.
  const rfm = rfmStage(ds, cleaned(ds, lines).kept, quiet);
  const m = await modelStage(ds, toArrays(rfm.customers, rfm.scores.rfm_segment), fd, {});
  assert.deepEqual((m.metrics as { warnings: string[] }).warnings, fd.warnings);
});

Deno.test("kMax above the distinct customers is capped with a note instead of failing", () => {
  const ds = config({ kmeans: { kMin: 2, kMax: 20, restarts: 2, stabilitySeeds: 2 } });
  const c = cleaned(ds, shop(12));
  const rfm = rfmStage(ds, c.kept, quiet, c.quarantine);
  const seg = segmentCustomers(toArrays(rfm.customers, rfm.scores.rfm_segment), ds.model);
  const distinct = seg.sweep[seg.sweep.length - 1].k;
  assert.ok(distinct <= 13 && distinct >= 2);
  assert.match(seg.notes[0], new RegExp(`swept over 2\\.\\.${distinct} instead of 2\\.\\.20`));
  // a fixed k above them too
  const fixed = segmentCustomers(toArrays(rfm.customers, rfm.scores.rfm_segment), {
    ...ds.model,
    kmeans: { ...ds.model.kmeans, k: 1000 },
  });
  assert.equal(fixed.chosenK, distinct);
  assert.match(fixed.notes.join(" "), /k = 1000 was capped/);
});

Deno.test("a KNN k grid above the training rows is capped with a note", async () => {
  const ds = config({ knn: { kGrid: [3, 500], folds: 3 }, loyalty: { kGrid: [3, 5000] } });
  let m!: Awaited<ReturnType<typeof runModels>>;
  const err = await captureAsync(async () => void (m = await runModels(ds, shop(90))));
  const notes = (m.metrics as { notes: string[] }).notes;
  assert.ok(notes.some((n) => /segment classifier's k grid .* capped at \d+/.test(n)), notes[0]);
  assert.ok(notes.some((n) => /loyalty model's k grid .* capped at \d+.*5000 left out/.test(n)));
  assert.ok(m.loyalty.model.knn.k < 5000);
  assert.ok(err.some((l) => l.startsWith("note: ")));
});

Deno.test("degenerate data get messages a user can act on, never internal ones", async () => {
  const ds = config();
  const one: Line = ["a", "1", "2022-03-01T10:00:00Z", 1, 10];
  const cases: [string, Line[], RegExp][] = [
    ["one row", [one], /starts after the last purchase \(2022-03-01\)/],
    ["every row identical", Array.from({ length: 30 }, () => one), /after the last purchase/],
    [
      "one customer",
      shop(60).map((l): Line => ["a", l[1], l[2], l[3], l[4]]),
      /only 1 customers to segment|only 1 of the 3 loyalty levels/,
    ],
    [
      "two customers",
      shop(60).map((l): Line => [Number(l[0].slice(1)) % 2 ? "a" : "b", l[1], l[2], l[3], l[4]]),
      /only 2 customers|only 1 of the 3 loyalty levels/,
    ],
    ["twelve customers", shop(12), /only 1\d customers to segment; the models need at least 20/],
  ];
  for (const [name, lines, pattern] of cases) {
    await assert.rejects(() => runModels(ds, lines), (e: unknown) => {
      assert.ok(e instanceof ModelStageSkipped, `${name}: ${e}`);
      assert.match(e.message, pattern, name);
      assert.doesNotMatch(e.message, INTERNAL, name);
      return true;
    });
  }
});

Deno.test("customers who all look the same: K-Means has nothing to separate", async () => {
  // 40 customers, each one purchase of the same value on the same day.
  const ds = config();
  const lines: Line[] = Array.from(
    { length: 40 },
    (_, c): Line => [`c${c}`, `a${c}`, "2022-06-01T10:00:00Z", 1, 10],
  );
  const rfm = rfmStage(ds, cleaned(ds, lines).kept, quiet);
  const table = toArrays(rfm.customers, rfm.scores.rfm_segment);
  skips(() => segmentCustomers(table, ds.model), /all 40 customers have the same/, /nothing to/);
  // The same from a worker, as the build runs K-Means: still a ModelStageSkipped (the build
  // publishes RFM only). Planted fault: without the class to rebuild, only its name is left.
  const stage = new URL("../../src/pipeline/model_stage.ts", import.meta.url);
  await assert.rejects(
    inWorker(stage, "segmentAndClassify", [table, ds.model], { errors: { ModelStageSkipped } }),
    (e: unknown) => {
      assert.ok(e instanceof ModelStageSkipped, String(e));
      assert.match(e.message, /all 40 customers have the same/);
      return true;
    },
  );
  await assert.rejects(inWorker(stage, "segmentAndClassify", [table, ds.model]), (e: unknown) => {
    assert.ok(!(e instanceof ModelStageSkipped));
    assert.equal((e as Error).name, "ModelStageSkipped");
    return true;
  });
});

Deno.test("the model stage's workers change nothing: same result as on one thread", async () => {
  const ds = config();
  const lines = shop(150);
  const [withWorkers, oneThread] = [await runModels(ds, lines), await runModels(ds, lines, false)];
  assert.deepEqual(withWorkers.columns, oneThread.columns);
  assert.deepEqual(withWorkers.metrics, oneThread.metrics);
  assert.deepEqual(withWorkers.model, oneThread.model);
  assert.deepEqual(withWorkers.loyalty, oneThread.loyalty);
  assert.ok(oneThread.columns.score.length > 100);
});

Deno.test("an analysis date before every purchase is an error naming the dates", () => {
  const ds = config({}, { analysisDate: "2021-01-01" });
  const c = cleaned(ds, shop(30));
  assert.throws(
    () => rfmStage(ds, c.kept, quiet, c.quarantine),
    /analysis date 2021-01-01 \(analysisDate\) is on or before every purchase \(first 2022-01-0\d, last 2023-12-31\)/,
  );
  // A date inside the data: later lines are left out, with a warning that counts them.
  const mid = config({}, { analysisDate: "2023-01-01" });
  const rfm = rfmStage(mid, cleaned(mid, shop(30)).kept, quiet);
  assert.match((rfm.summary.warnings as string[])[0], /\d+ of \d+ clean lines are on or after/);
});

Deno.test("duplicate level names and an empty feature list are refused, naming the key", () => {
  // The configuration refuses them …
  assert.throws(
    () =>
      config({
        forward: { cutoff: "2023-01-01", windowEnd: "2023-07-01", levels: ["low", "low", "high"] },
      }),
    /model\.forward\.levels.*"low"/,
  );
  assert.throws(() => config({ loyalty: { features: [] } }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /model\.loyalty\.features/);
    return true;
  });
  // … and so do the stages, for a configuration built in code.
  const ds = config();
  const dup = {
    ...ds,
    model: { ...ds.model, forward: { ...ds.model.forward, levels: ["low", "low", "high"] } },
  };
  assert.throws(
    () => forwardData(dup, cleaned(ds, shop(30))),
    /model\.forward\.levels names "low" twice/,
  );
});
