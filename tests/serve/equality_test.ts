/**
 * The service gives the same answers as the scoring module, as the report's widget and as the
 * build, for the same inputs:
 *
 * - against `scoreCustomer` called directly, on several hundred inputs, valid and invalid (as
 *   single requests and as batches): the same result, or the same field errors;
 * - against the widget's own code: the browser bundle built from `src/site/browser.ts` exactly as
 *   the site build makes it (into a temporary folder), fed the strings a person types, with the
 *   model object the page loads (model.json parsed as it is);
 * - against the build: every customer of the built `customers.csv` scored by the service gets
 *   the committed level, probabilities, score and band (skipped, with a message, when the
 *   dataset has not been built).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { bundleBrowserModules } from "../../src/site/bundle.ts";
import { ROOT } from "../../src/lib/paths.ts";
import { parseModelFile } from "../../src/score/model_file.ts";
import { type LoyaltyModel, scoreCustomer, type ScoreResult } from "../../src/score/score.ts";
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

/** Checks single requests and batches against the expected results. */
async function assertSameAnswers(
  svc: ServiceProcess,
  cases: Record<string, unknown>[],
  expected: (input: Record<string, unknown>) => ScoreResult,
): Promise<void> {
  let ok = 0;
  for (const [i, input] of cases.entries()) {
    const want = viaJson(expected(input));
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
        await assertSameAnswers(svc, inputs(k, 80), (input) => scoreCustomer(model, input));
      } finally {
        assert.equal((await svc.stop()).code, 0);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const BUILT = join(ROOT, "reports/model.json");
const built = await Deno.stat(BUILT).then(() => true, () => false);

Deno.test("service ≡ the widget's bundled scoring code, on what a person types", async () => {
  // The bundle exactly as the site build makes it, written below a temporary root.
  const tmp = await Deno.makeTempDir({ prefix: "serve-widget-" });
  const dir = await Deno.makeTempDir({ prefix: "serve-widget-model-" });
  try {
    await Deno.symlink(join(ROOT, "src"), join(tmp, "src"));
    const bundle = await bundleBrowserModules(tmp);
    const widget = await import(`file://${bundle}`) as {
      scoreCustomer: (model: unknown, input: Record<string, unknown>) => ScoreResult;
    };
    // the default dataset's model when built, else a synthetic one
    const path = built ? BUILT : join(dir, "model.json");
    if (!built) await Deno.writeTextFile(path, JSON.stringify(syntheticModel()));
    const pageModel = JSON.parse(await Deno.readTextFile(path)) as LoyaltyModel; // as the page loads it
    const typed = inputs(3, 60).map((input) =>
      Object.fromEntries(
        Object.entries(input).map(([k, v]) => [k, typeof v === "number" ? String(v) : v]),
      )
    );
    const svc = await startServiceProcess(["--model", path, "--no-watch"]);
    try {
      await assertSameAnswers(svc, typed, (input) => widget.scoreCustomer(pageModel, input));
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
            };
            assert.equal(r.ok, true, `customer ${row.customer_id}`);
            assert.equal(r.customer_id, row.customer_id);
            assert.equal(r.level, row.loyalty_level, `customer ${row.customer_id}`);
            assert.equal(r.score, Number(row.score), `customer ${row.customer_id}`);
            assert.equal(r.band, row.band, `customer ${row.customer_id}`);
            for (const l of m.levels) {
              assert.equal(r.probabilities[l], Number(row[`p_${l}`]), `${row.customer_id} p_${l}`);
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
