/**
 * The service gives the same answers as the scoring module, as the report's widget and as the
 * build, for the same inputs:
 *
 * - against `scoreCustomer` and `explainScore` called directly, on several hundred inputs, valid
 *   and invalid (as single requests and as batches), for format-1 and format-2 models (collapsed
 *   duplicates, calibration): the same result with the same reasons, or the same field errors;
 * - against the widget's own code: the browser bundle built from `src/site/browser.ts` exactly as
 *   the site build makes it (into a temporary folder), fed the strings a person types, with the
 *   model object the page loads (model.json parsed as it is);
 * - against the build: every customer of the built `customers.csv` scored by the service gets
 *   the committed level, probabilities, score, band and reasons (skipped, with a message, when
 *   the dataset has not been built; reasons when the table has them).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { bundleBrowserModules } from "../../src/site/bundle.ts";
import { ROOT } from "../../src/lib/paths.ts";
import { parseModelFile } from "../../src/score/model_file.ts";
import { type LoyaltyModel, scoreCustomer, type ScoreResult } from "../../src/score/score.ts";
import { explainScore, type Reason, reasonsLine } from "../../src/score/reasons.ts";
import { v2Model } from "../score/v2_fixture.ts";
import { MAX_BATCH } from "../../src/serve/schemas.ts";
import {
  post,
  randomCustomer,
  readCsv,
  rng,
  type ServiceProcess,
  startServiceProcess,
  syntheticModel,
} from "./service.ts";

/** Inputs: valid customers as numbers and as typed strings, and many kinds of invalid input. */
function inputs(seed: number, n: number): Record<string, unknown>[] {
  const r = rng(seed);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const c = randomCustomer(r);
    out.push(c);
    const { avg_order_value: _aov, ...derived } = c;
    out.push(derived); // avg_order_value derived by the scoring module
    out.push(Object.fromEntries(Object.entries(derived).map(([k, v]) => [k, ` ${v} `]))); // typed
  }
  const base = { recency_days: 30, frequency: 4, monetary: 500, tenure_days: 300 };
  const bad: Record<string, unknown>[] = [
    {},
    { ...base, recency_days: -1 },
    { ...base, frequency: 0 },
    { ...base, frequency: 2.5 },
    { ...base, frequency: 100001 },
    { ...base, monetary: -3 },
    { ...base, monetary: 1e12 },
    { ...base, tenure_days: 10 }, // tenure < recency
    { ...base, avg_order_value: 900 }, // more than monetary
    { ...base, recency_days: "abc" },
    { ...base, monetary: "1,234" },
    { ...base, monetary: "" },
    { ...base, monetary: "   " },
    { ...base, frequency: null },
    { ...base, frequency: "NaN" },
    { ...base, frequency: "Infinity" },
    { ...base, frequency: "-Infinity" },
    { ...base, frequency: "1e999" },
    { ...base, frequency: "0x10" },
    { ...base, frequency: true },
    { ...base, frequency: [4] },
    { ...base, frequency: { value: 4 } },
    { ...base, recency_days: 40000 },
    { ...base, frequency: "4", monetary: "5e2", recency_days: "3.0e1" },
    { ...base, shoe_size: 44, country: "DE" },
    { recency_days: 1 },
    { ...base, frequency: -1, monetary: "x" }, // avg_order_value underivable: not reported
    { ...base, tenure_days: undefined },
  ];
  return [...out, ...bad];
}

/** A result as it travels through JSON. */
const viaJson = (x: unknown) => JSON.parse(JSON.stringify(x));

type Explain = (model: LoyaltyModel, input: Record<string, unknown>) => Reason[];

/** What the service answers for one input: the scoring result, with the reasons when scored. */
function answerOf(
  score: (input: Record<string, unknown>) => ScoreResult,
  model: LoyaltyModel,
  explain: Explain = explainScore,
): (input: Record<string, unknown>) => unknown {
  return (input) => {
    const r = score(input);
    return r.ok ? { ...r, reasons: explain(model, input) } : r;
  };
}

/** Checks single requests and batches against the expected results. */
async function assertSameAnswers(
  svc: ServiceProcess,
  cases: Record<string, unknown>[],
  expected: (input: Record<string, unknown>) => unknown,
): Promise<{ reasons: number }> {
  let ok = 0;
  let reasons = 0;
  for (const [i, input] of cases.entries()) {
    const want = viaJson(expected(input));
    reasons += want.reasons?.length ?? 0;
    const got = await post(svc.base, input);
    if (want.ok) {
      ok++;
      assert.equal(got.status, 200, `case ${i}: ${JSON.stringify(input)}`);
      assert.deepEqual(got.body.result, want, `case ${i}`);
    } else {
      assert.equal(got.status, 400, `case ${i}: ${JSON.stringify(input)}`);
      const error = got.body.error as { code: string; fields: unknown };
      assert.equal(error.code, "invalid_input");
      assert.deepEqual(error.fields, want.errors, `case ${i}: ${JSON.stringify(input)}`);
    }
  }
  assert.ok(ok > 0 && ok < cases.length, "both valid and invalid inputs");
  const withIds = cases.map((c, i) => ({ customer_id: `c${i}`, ...c }));
  const batch = await post(svc.base, { customers: withIds });
  assert.equal(batch.status, 200);
  const results = batch.body.results as Record<string, unknown>[];
  assert.equal(results.length, cases.length);
  results.forEach((r, i) => {
    assert.deepEqual(r, { customer_id: `c${i}`, ...viaJson(expected(cases[i])) }, `batch ${i}`);
  });
  return { reasons };
}

Deno.test("service ≡ scoreCustomer on valid and invalid inputs (synthetic models)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serve-eq-" });
  try {
    for (const [k, weighting] of [[7, "uniform"], [5, "distance"]] as const) {
      const json = syntheticModel(k, weighting);
      const path = join(dir, `model-${k}.json`);
      await Deno.writeTextFile(path, JSON.stringify(json));
      const model = parseModelFile(JSON.parse(await Deno.readTextFile(path))).model;
      const svc = await startServiceProcess(["--model", path, "--no-watch"]);
      try {
        const { reasons } = await assertSameAnswers(
          svc,
          inputs(k, 80),
          answerOf((input) => scoreCustomer(model, input), model),
        );
        assert.ok(reasons > 50, `${reasons} reasons compared`);
      } finally {
        assert.equal((await svc.stop()).code, 0);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("service ≡ scoreCustomer and explainScore on a format-2 model (counts, calibration)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serve-eq-v2-" });
  try {
    const { model: fitted, rows } = v2Model();
    const path = join(dir, "model.json");
    await Deno.writeTextFile(path, JSON.stringify({ ...fitted, currency: "EUR" }));
    const model = parseModelFile(JSON.parse(await Deno.readTextFile(path))).model;
    const r = rng(4);
    const cases: Record<string, unknown>[] = [
      ...rows.slice(0, 40), // exact training profiles (collapsed points)
      ...Array.from({ length: 80 }, () => ({
        recency_window_days: Math.floor(r() * 400), // beyond the look-back too
        invoices_90d: Math.floor(r() * 9),
        value_365d: Math.round(r() * 4000 * 100) / 100,
      })),
      { recency_window_days: -1, invoices_90d: 1, value_365d: 5 },
      { recency_window_days: 10, invoices_90d: 1.5, value_365d: 5 },
      { recency_window_days: 10, invoices_90d: 1 },
    ];
    const svc = await startServiceProcess(["--model", path, "--no-watch"]);
    try {
      const { reasons } = await assertSameAnswers(
        svc,
        cases,
        answerOf((input) => scoreCustomer(model, input), model),
      );
      assert.ok(reasons > 60, `${reasons} reasons compared`);
      const card = await fetch(`${svc.base}/v1/model`).then((res) => res.json());
      assert.equal(card.trainingCustomers, 300, "collapsed duplicates counted by their customers");
      assert.ok(fitted.knn.points.length < 300);
    } finally {
      assert.equal((await svc.stop()).code, 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const BUILT = join(ROOT, "reports/model.json");
const built = await Deno.stat(BUILT).then(() => true, () => false);

/**
 * Inputs for the built model: `n` of its own customers' model features (from the built
 * customer table, which carries the model's inputs), and invalid variants of the first one.
 */
async function builtInputs(model: LoyaltyModel, n: number): Promise<Record<string, unknown>[]> {
  const rows = readCsv(await Deno.readTextFile(join(ROOT, "reports/customers.csv")));
  const step = Math.max(1, Math.floor(rows.length / n));
  const good = rows.filter((_, i) => i % step === 0).slice(0, n).map((row) =>
    Object.fromEntries(model.features.map((f) => [f, Number(row[f])]))
  );
  const [f0, f1] = model.features;
  const c = good[0];
  return [
    ...good,
    {},
    { ...c, [f0]: -1 },
    { ...c, [f0]: "abc" },
    { ...c, [f0]: "1,234" },
    { ...c, [f1]: null },
    { ...c, [f1]: "Infinity" },
    { ...c, [f0]: 1e12 },
  ];
}

Deno.test("service ≡ the widget's bundled scoring code, on what a person types", async () => {
  // The bundle exactly as the site build makes it, written below a temporary root.
  const tmp = await Deno.makeTempDir({ prefix: "serve-widget-" });
  const dir = await Deno.makeTempDir({ prefix: "serve-widget-model-" });
  try {
    await Deno.symlink(join(ROOT, "src"), join(tmp, "src"));
    const bundle = await bundleBrowserModules(tmp);
    const widget = await import(`file://${bundle}`) as {
      scoreCustomer: (model: unknown, input: Record<string, unknown>) => ScoreResult;
      explainScore?: Explain;
    };
    // the widget's own reason codes when its bundle exports them (else the module's)
    const explain = widget.explainScore ?? explainScore;
    // the default dataset's model when built, else a synthetic one
    const path = built ? BUILT : join(dir, "model.json");
    if (!built) await Deno.writeTextFile(path, JSON.stringify(syntheticModel()));
    const pageModel = JSON.parse(await Deno.readTextFile(path)) as LoyaltyModel; // as the page loads it
    const typed = (built ? await builtInputs(pageModel, 60) : inputs(3, 60)).map((input) =>
      Object.fromEntries(
        Object.entries(input).map(([k, v]) => [k, typeof v === "number" ? String(v) : v]),
      )
    );
    const svc = await startServiceProcess(["--model", path, "--no-watch"]);
    try {
      const { reasons } = await assertSameAnswers(
        svc,
        typed,
        answerOf((input) => widget.scoreCustomer(pageModel, input), pageModel, explain),
      );
      assert.ok(reasons > 0, "reasons compared");
    } finally {
      assert.equal((await svc.stop()).code, 0);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

/** Built datasets: model, customer table, and how many customers to check. */
const DATASETS = [
  { id: "online-retail-ii", dir: "reports", every: 1 },
  { id: "cdnow", dir: "reports/cdnow", every: 10 }, // 23,502 customers, k = 51: a tenth of them
];

for (const d of DATASETS) {
  const model = join(ROOT, d.dir, "model.json");
  const csv = join(ROOT, d.dir, "customers.csv");
  const present = await Promise.all([Deno.stat(model), Deno.stat(csv)]).then(
    () => true,
    () => false,
  );
  if (!present) console.log(`equality with the build: ${d.id} is not built; skipped`);
  Deno.test({
    name: `service ≡ the build's customer scores (${d.id})`,
    ignore: !present,
    fn: async () => {
      const m = JSON.parse(await Deno.readTextFile(model)) as LoyaltyModel;
      const rows = readCsv(await Deno.readTextFile(csv)).filter((_, i) => i % d.every === 0);
      const withReasons = rows.length > 0 && "reasons" in rows[0] && m.currency !== undefined;
      if (!withReasons) console.log(`  ${d.id}: the table or model predates reasons: not compared`);
      const svc = await startServiceProcess(["--model", model, "--no-watch"], { keepLog: false });
      try {
        let checked = 0;
        for (let start = 0; start < rows.length; start += MAX_BATCH) {
          const chunk = rows.slice(start, start + MAX_BATCH);
          const customers = chunk.map((row) => ({
            customer_id: row.customer_id,
            ...Object.fromEntries(m.features.map((f) => [f, Number(row[f])])),
          }));
          const res = await post(svc.base, { customers });
          assert.equal(res.status, 200);
          const results = res.body.results as Record<string, unknown>[];
          chunk.forEach((row, i) => {
            const r = results[i] as {
              ok: boolean;
              level: string;
              probabilities: Record<string, number>;
              score: number;
              band: string;
              customer_id: string;
              reasons: Reason[];
            };
            assert.equal(r.ok, true, `customer ${row.customer_id}`);
            assert.equal(r.customer_id, row.customer_id);
            assert.equal(r.level, row.loyalty_level, `customer ${row.customer_id}`);
            assert.equal(r.score, Number(row.score), `customer ${row.customer_id}`);
            assert.equal(r.band, row.band, `customer ${row.customer_id}`);
            for (const l of m.levels) {
              assert.equal(r.probabilities[l], Number(row[`p_${l}`]), `${row.customer_id} p_${l}`);
            }
            // The build words money in the dataset's currency: compared when the model says it.
            if (withReasons) {
              assert.equal(reasonsLine(r.reasons), row.reasons, `${row.customer_id} reasons`);
            }
            checked++;
          });
        }
        assert.equal(checked, rows.length);
        console.log(`  ${d.id}: ${checked} customers, identical level, probabilities, score, band`);
      } finally {
        assert.equal((await svc.stop()).code, 0);
      }
    },
  });
}
