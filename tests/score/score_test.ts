import assert from "node:assert/strict";
import { fitKnn } from "../../src/score/neighbours.ts";
import {
  DEFAULT_LIMITS,
  type LoyaltyModel,
  makeBands,
  makeScoreScale,
  scoreCustomer,
  scoreFromProbabilities,
  scoreMany,
  type ScoreOk,
  validateInput,
} from "../../src/score/score.ts";
import { createRng } from "../../src/model/random.ts";
import { FEATURE_NAMES, FEATURES as REGISTRY } from "../../src/config/features.ts";

/** The whole-history features (the model's inputs before the look-back features). */
const FEATURES = FEATURE_NAMES.filter((f) =>
  REGISTRY.find((r) => r.name === f)?.scope !== "window"
);
const Q = { recency_days: 10, frequency: 5, monetary: 500, tenure_days: 100, avg_order_value: 100 };
const q = FEATURES.map((f) => Q[f as keyof typeof Q]);

/**
 * A hand-made model with an identity scaler: five training customers at distance 1..5 from Q
 * (labels given), and five far-away lapsed customers.
 */
function handModel(nearLabels: number[], weighting: "uniform" | "distance" = "uniform") {
  const points: number[][] = [];
  const labels: number[] = [];
  nearLabels.forEach((l, i) => {
    points.push(q.map((v, j) => (j === 0 ? v + i + 1 : v)));
    labels.push(l);
  });
  for (let i = 0; i < 5; i++) {
    points.push(q.map((v) => v + 1000 + i));
    labels.push(0);
  }
  const model: LoyaltyModel = {
    kind: "rfm-loyalty-knn",
    version: 1,
    features: FEATURES,
    scaler: {
      names: FEATURES,
      log: FEATURES.map(() => false),
      means: [0, 0, 0, 0, 0],
      stds: [1, 1, 1, 1, 1],
    },
    knn: fitKnn(points, labels, { k: 5, weighting, nClasses: 3 }),
    customerIds: points.map((_, i) => `C${i}`),
    levels: ["lapsed", "occasional", "loyal"],
    cutoff: "2011-06-01",
    windowEnd: "2011-12-01",
    score: makeScoreScale(300, 850, ["A", "B", "C", "D", "E"], 3),
    limits: { ...DEFAULT_LIMITS },
  };
  return model;
}

function ok(r: ReturnType<typeof scoreCustomer>): ScoreOk {
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r;
}

Deno.test("bands: equal-width cut points, best first", () => {
  const bands = makeBands(300, 850, ["A", "B", "C", "D", "E"]);
  assert.deepEqual(bands.map((b) => b.minScore), [740, 630, 520, 410, 300]);
  assert.deepEqual(bands.map((b) => b.maxScore), [850, 740, 630, 520, 410]);
});

Deno.test("score: more loyal neighbours → strictly higher score, better band", () => {
  const scores: number[] = [];
  const bands: string[] = [];
  for (let j = 0; j <= 5; j++) {
    const labels = [0, 0, 0, 0, 0].map((_, i) => (i < j ? 2 : 0));
    const r = ok(scoreCustomer(handModel(labels), Q));
    scores.push(r.score);
    bands.push(r.band);
    assert.equal(r.probabilities.loyal, j / 5);
    assert.equal(r.neighbours.length, 5);
    assert.deepEqual(r.neighbours.map((n) => n.customer_id), ["C0", "C1", "C2", "C3", "C4"]);
  }
  assert.deepEqual(scores, [300, 410, 520, 630, 740, 850]);
  assert.deepEqual(bands, ["E", "D", "C", "B", "A", "A"]);
  // lapsed → occasional also raises the score; occasional → loyal raises it further
  const occ = ok(scoreCustomer(handModel([1, 1, 1, 1, 1]), Q));
  assert.equal(occ.score, 575);
  assert.equal(occ.level, "occasional");
  assert.equal(occ.levelIndex, 1);
  const mixed = ok(scoreCustomer(handModel([2, 1, 1, 1, 1]), Q));
  assert.ok(mixed.score > occ.score);
});

Deno.test("score: monotonic in predicted loyalty for any probability shift", () => {
  const scale = makeScoreScale();
  const rng = createRng(4);
  for (let t = 0; t < 500; t++) {
    const a = rng.next();
    const b = rng.next() * (1 - a);
    const p = [a, b, 1 - a - b];
    const moved = rng.next() * p[0];
    const up = [p[0] - moved, p[1] + moved, p[2]];
    const up2 = [p[0], p[1] - p[1] / 2, p[2] + p[1] / 2];
    const s = scoreFromProbabilities(scale, p);
    assert.ok(scoreFromProbabilities(scale, up).exact >= s.exact);
    assert.ok(scoreFromProbabilities(scale, up2).exact >= s.exact);
    assert.ok(s.score >= 300 && s.score <= 850 && Number.isInteger(s.score));
  }
});

Deno.test("distance weighting: the nearer neighbour counts more", () => {
  const near = ok(scoreCustomer(handModel([2, 0, 0, 0, 0], "distance"), Q));
  const far = ok(scoreCustomer(handModel([0, 0, 0, 0, 2], "distance"), Q));
  assert.ok(near.score > far.score);
  const w = [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5];
  const total = w.reduce((s, x) => s + x, 0);
  assert.ok(Math.abs(near.probabilities.loyal - 1 / total) < 1e-12);
});

function errorsOf(input: Record<string, unknown>) {
  const r = scoreCustomer(handModel([2, 2, 0, 0, 0]), input);
  assert.equal(r.ok, false);
  if (r.ok) throw new Error("unreachable");
  assertFinite(r);
  return r.errors;
}

/** Every number anywhere in the value is finite (JSON would turn NaN into null silently). */
function assertFinite(v: unknown): void {
  if (typeof v === "number") assert.ok(Number.isFinite(v), `non-finite number ${v}`);
  else if (v === null) assert.fail("null in output");
  else if (Array.isArray(v)) v.forEach(assertFinite);
  else if (typeof v === "object" && v !== undefined) Object.values(v).forEach(assertFinite);
}

Deno.test("validation: each bad field is named with a clear message", () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ ...Q, recency_days: "abc" }, "recency_days", /must be a number/],
    [{ ...Q, recency_days: NaN }, "recency_days", /NaN/],
    [{ ...Q, monetary: Infinity }, "monetary", /finite/],
    [{ ...Q, monetary: -5 }, "monetary", /negative/],
    [{ ...Q, monetary: 2e7 }, "monetary", /at most/],
    [{ ...Q, frequency: 2.5 }, "frequency", /whole number/],
    [{ ...Q, frequency: 0 }, "frequency", /at least 1/],
    [{ ...Q, recency_days: 40000, tenure_days: 40001 }, "recency_days", /100 years/],
    [{ ...Q, tenure_days: 5 }, "tenure_days", /at least recency_days/],
    [{ ...Q, avg_order_value: 600 }, "avg_order_value", /cannot exceed monetary/],
    [{ ...Q, tenure_days: undefined }, "tenure_days", /required/],
    [{ ...Q, frequency: null }, "frequency", /required/],
    [{ ...Q, recency_days: "  " }, "recency_days", /required/],
    [{ ...Q, frequency: true }, "frequency", /boolean/],
    [{ ...Q, monetary: "1,234" }, "monetary", /must be a number/],
    [{ ...Q, monetary: {} }, "monetary", /object/],
  ];
  for (const [input, field, message] of cases) {
    const errors = errorsOf(input);
    const e = errors.find((x) => x.field === field);
    assert.ok(e, `${field} not named in ${JSON.stringify(errors)}`);
    assert.match(e.message, message);
    assert.ok(e.message.includes(field), `message does not name ${field}: ${e.message}`);
  }
});

Deno.test("validation: several bad fields are all reported", () => {
  const errors = errorsOf({ recency_days: "x", frequency: -1, monetary: NaN });
  assert.deepEqual(
    errors.map((e) => e.field).sort(),
    ["frequency", "monetary", "recency_days", "tenure_days"],
  );
  // avg_order_value is not reported missing: it would be derived, but monetary is invalid →
  // it is reported as required only when it cannot be derived
  const e2 = errorsOf({ recency_days: 1, tenure_days: 2, frequency: 1 });
  assert.deepEqual(e2.map((e) => e.field).sort(), ["avg_order_value", "monetary"]);
  assert.equal(scoreCustomer(handModel([0, 0, 0, 0, 0]), undefined as never).ok, false);
});

Deno.test("validation: numeric strings are accepted; avg_order_value can be derived", () => {
  const model = handModel([2, 2, 1, 0, 0]);
  const asNumbers = ok(scoreCustomer(model, Q));
  const asStrings = ok(scoreCustomer(model, {
    recency_days: "10",
    frequency: " 5 ",
    monetary: "500.0",
    tenure_days: "1e2",
    avg_order_value: "100",
    extra_field: "ignored",
  }));
  assert.deepEqual(asStrings, asNumbers);
  const derived = ok(scoreCustomer(model, { ...Q, avg_order_value: undefined }));
  assert.deepEqual(derived, asNumbers);
  assertFinite(asNumbers);
});

Deno.test("model JSON round trip: identical results; scoreMany = scoreCustomer", () => {
  const model = handModel([2, 1, 0, 2, 1], "distance");
  const copy: LoyaltyModel = JSON.parse(JSON.stringify(model));
  const rng = createRng(12);
  const inputs = Array.from({ length: 50 }, () => ({
    recency_days: 1 + rng.int(30),
    frequency: 1 + rng.int(10),
    monetary: 100 + 900 * rng.next(),
    tenure_days: 40 + rng.int(100),
    avg_order_value: 50 + 50 * rng.next(),
  }));
  const a = scoreMany(model, inputs);
  assert.deepEqual(scoreMany(copy, inputs), a);
  assert.deepEqual(inputs.map((i) => scoreCustomer(model, i)), a);
});

Deno.test("validation: every registry feature is checked by its kind", () => {
  // one model per feature, so the check is the kind's alone (no cross-field rules apply)
  const limits = { maxDays: 100, maxFrequency: 10, maxMoney: 1000 };
  const expectedOf = (f: (typeof REGISTRY)[number]): [unknown, string][] => {
    const min = f.min ?? 1;
    const [lo, hi] = f.range ?? [0, 1];
    const unit = `must be a whole number of ${f.unit}, at least ${min}`;
    return {
      days: [[-1, "must not be negative"], [101, "must be at most 100 days"]],
      count: [[min - 1, unit], [1.5, unit], [11, "must be at most 10"]],
      money: [[-0.01, "must not be negative"], [1000.5, "must be at most 1000"]],
      ratio: [[lo - 0.5, `must be from ${lo} to ${hi}`], [hi + 0.5, `must be from ${lo} to ${hi}`]],
    }[f.kind] as [unknown, string][];
  };
  const fine: Record<string, number> = { days: 100, count: 10, money: 1000, ratio: 0 };
  for (const f of REGISTRY) {
    const model = { features: [f.name], limits };
    for (const [value, problem] of expectedOf(f)) {
      assert.deepEqual(validateInput(model, { [f.name]: value }), {
        ok: false,
        errors: [{ field: f.name, message: `${f.name} ${problem} (got ${value})` }],
      });
    }
    assert.deepEqual(validateInput(model, { [f.name]: fine[f.kind] }), {
      ok: true,
      values: [fine[f.kind]],
    });
  }
});

Deno.test("validation: registry fields the model does not use are checked when given", () => {
  const model = { features: ["frequency"], limits: DEFAULT_LIMITS };
  assert.deepEqual(validateInput(model, { frequency: 2, monetary: -1, unknown: -1 }), {
    ok: false,
    errors: [{ field: "monetary", message: "monetary must not be negative (got -1)" }],
  });
  // order of the extra fields: days, then counts, then money (as before the registry)
  const errors = validateInput(
    { features: ["frequency"], limits: DEFAULT_LIMITS },
    { frequency: 2, avg_order_value: -1, monetary: -1, tenure_days: -1, recency_days: -1 },
  );
  assert.ok(!errors.ok);
  if (errors.ok) return;
  assert.deepEqual(errors.errors.map((e) => e.field), [
    "recency_days",
    "tenure_days",
    "monetary",
    "avg_order_value",
  ]);
});
