import assert from "node:assert/strict";
import { daysBetween } from "../../src/lib/time.ts";
import {
  bandTrend,
  forwardPeriods,
  fromModelScale,
  gainsCurve,
  isFaderHardieLeeSplit,
  joinPhrases,
  levelPhrases,
  messagesByField,
  type ModelScores,
  niceRawTicks,
  outOfRange,
  standing,
  standingSentence,
  stratifiedSample,
  toModelScale,
  unitHash,
} from "../../src/report/narrative.ts";
import { bandTrend as modelBandTrend } from "../../src/model/bands.ts";
import { fnv1a32, hashString } from "../../src/lib/hash.ts";
import { fitScaler, transformRow, transformValue } from "../../src/score/scaler.ts";

Deno.test("the hash behind unitHash: FNV-1a (published vectors), then murmur3's fmix32", () => {
  assert.equal(fnv1a32(""), 0x811c9dc5); // the offset basis
  assert.equal(fnv1a32("a"), 0xe40c292c);
  assert.equal(fnv1a32("foobar"), 0xbf9cf968);
  // fmix32 of the FNV-1a value, pinned: a change would silently change every chart sample
  assert.equal(hashString(""), 2872998923);
  assert.equal(hashString("a"), 444641715);
  assert.equal(hashString("12346"), 2662143247);
  assert.ok(Math.abs(hashString("12346") - hashString("12347")) > 2 ** 20, "avalanche");
});

Deno.test("unitHash: hashString(salt, NUL, key) / 2³², pinned values", () => {
  assert.equal(unitHash("12346"), 0.4320039292797446);
  assert.equal(unitHash("12346", "sample"), 0.8561693085357547);
  assert.equal(unitHash("", ""), 0.02137250336818397);
  assert.equal(unitHash("12346", "sample"), hashString("sample\u000012346") / 2 ** 32);
});

Deno.test("unitHash: in [0, 1), salt matters, roughly uniform", () => {
  const xs = Array.from({ length: 10000 }, (_, i) => unitHash(String(10000 + i), "s"));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  const low = xs.filter((x) => x < 0.1).length;
  assert.ok(low > 850 && low < 1150, `${low} of 10000 below 0.1`);
  assert.notEqual(unitHash("1", "a"), unitHash("1", "b"));
});

Deno.test("stratifiedSample: all rows when few, else max rows keeping group shares", () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `c${i}`);
  const groups = ids.map((_, i) => (i < 700 ? "A" : i < 990 ? "B" : "C"));
  assert.deepEqual(stratifiedSample(ids.slice(0, 5), groups.slice(0, 5), 10), [0, 1, 2, 3, 4]);
  const s = stratifiedSample(ids, groups, 100);
  assert.equal(s.length, 100);
  assert.deepEqual(s, [...s].sort((a, b) => a - b), "increasing");
  assert.equal(new Set(s).size, 100, "no duplicates");
  const count = (g: string) => s.filter((i) => groups[i] === g).length;
  assert.equal(count("A"), 70);
  assert.equal(count("B"), 29);
  assert.equal(count("C"), 1);
  // Deterministic and independent of row order.
  assert.deepEqual(stratifiedSample(ids, groups, 100), s);
  const perm = ids.map((_, i) => i).reverse();
  const s2 = stratifiedSample(perm.map((i) => ids[i]), perm.map((i) => groups[i]), 100);
  assert.deepEqual(s2.map((i) => ids[perm[i]]).sort(), s.map((i) => ids[i]).sort());
  // The salt changes the sample, not its size.
  const s3 = stratifiedSample(ids, groups, 100, "other");
  assert.equal(s3.length, 100);
  assert.notDeepEqual(s3, s);
});

Deno.test("stratifiedSample: a tiny group still appears; bad arguments throw", () => {
  const ids = Array.from({ length: 1001 }, (_, i) => String(i));
  const groups = ids.map((_, i) => (i === 1000 ? "rare" : "common"));
  const s = stratifiedSample(ids, groups, 10);
  assert.equal(s.length, 10);
  assert.ok(s.includes(1000), "the one-row group is kept");
  assert.deepEqual(stratifiedSample(ids, groups, 0), []);
  assert.throws(() => stratifiedSample(ids, groups.slice(1), 10), RangeError);
  assert.throws(() => stratifiedSample(ids, groups, -1), RangeError);
  assert.throws(() => stratifiedSample(ids, groups, 1.5), RangeError);
});

Deno.test("daysBetween and forwardPeriods", () => {
  assert.equal(daysBetween("2010-12-01", "2011-12-10"), 374);
  assert.equal(daysBetween("2011-12-10", "2010-12-01"), -374);
  assert.equal(daysBetween("2010-12-01T23:59:00Z", "2010-12-02"), 1, "date part only");
  assert.throws(() => daysBetween("yesterday", "2010-01-01"), RangeError);
  const p = forwardPeriods("1997-01-01", "1997-10-01", "1998-07-01");
  assert.deepEqual(p, {
    historyStart: "1997-01-01",
    cutoff: "1997-10-01",
    windowEnd: "1998-07-01",
    historyDays: 273,
    windowDays: 273,
    historyWeeks: 39,
    windowWeeks: 39,
  });
});

Deno.test("isFaderHardieLeeSplit: CDNOW with 39 + 39 weeks only", () => {
  const fhl = forwardPeriods("1997-01-01", "1997-10-01", "1998-07-01");
  assert.equal(isFaderHardieLeeSplit({ id: "cdnow", title: null }, fhl), true);
  assert.equal(isFaderHardieLeeSplit({ id: "x", title: "CDNOW master" }, fhl), true);
  assert.equal(isFaderHardieLeeSplit({ id: "online-retail-ii", title: "UCI" }, fhl), false);
  const other = forwardPeriods("1997-01-01", "1997-10-01", "1998-06-01");
  assert.equal(isFaderHardieLeeSplit({ id: "cdnow" }, other), false);
});

const KNN: ModelScores = {
  name: "KNN",
  accuracy: 0.574,
  balancedAccuracy: 0.558,
  macroF1: 0.549,
  aucTop: 0.830,
};
const BASELINES: ModelScores[] = [
  { name: "majority class", accuracy: 0.359, balancedAccuracy: 0.333, macroF1: 0.176, aucTop: 0.5 },
  { name: "persistence", accuracy: 0.549, balancedAccuracy: 0.551, macroF1: 0.551, aucTop: 0.797 },
  { name: "logistic", accuracy: 0.589, balancedAccuracy: 0.567, macroF1: 0.544, aucTop: 0.849 },
];

Deno.test("standing: level, behind and ahead, with the models clearly beaten", () => {
  const f1 = standing(KNN, BASELINES, "macroF1");
  assert.equal(f1.verdict, "level");
  assert.equal(f1.bestOther?.name, "persistence");
  assert.equal(f1.rank, 1);
  assert.equal(f1.of, 4);
  assert.deepEqual(f1.beats.map((b) => b.name), ["majority class"]);
  const auc = standing(KNN, BASELINES, "aucTop");
  assert.equal(auc.verdict, "behind");
  assert.equal(auc.bestOther?.name, "logistic");
  assert.equal(auc.rank, 2);
  assert.deepEqual(auc.beats.map((b) => b.name), ["majority class", "persistence"]);
  const ahead = standing({ ...KNN, macroF1: 0.7 }, BASELINES, "macroF1");
  assert.equal(ahead.verdict, "ahead");
  assert.ok(Math.abs(ahead.margin! - 0.149) < 1e-9);
  const none = standing({ ...KNN, aucTop: null }, BASELINES, "aucTop");
  assert.equal(none.verdict, "unknown");
});

Deno.test("standingSentence: generated from the numbers", () => {
  const labels = { model: "the KNN", metric: "macro F1" };
  assert.equal(
    standingSentence(standing(KNN, BASELINES, "macroF1"), labels),
    "On macro F1 the KNN (0.549) is level with the best baseline, persistence (0.551): the " +
      "difference is within 0.01; it is clearly above majority class (0.176).",
  );
  assert.equal(
    standingSentence(standing(KNN, BASELINES, "aucTop"), { model: "the KNN", metric: "AUC" }),
    "On AUC the KNN (0.830) is behind logistic (0.849), by 0.019, though clearly above " +
      "majority class (0.500) and persistence (0.797).",
  );
  assert.match(
    standingSentence(standing({ ...KNN, macroF1: 0.7 }, BASELINES, "macroF1"), labels),
    /is ahead of every baseline, by 0\.149 over the best of them, persistence \(0\.551\)\.$/,
  );
  assert.match(
    standingSentence(standing(KNN, [], "macroF1"), labels),
    /has no baseline to compare with/,
  );
});

Deno.test("bandTrend: the pages' band check is the model's (one function, tests in tests/model)", () => {
  assert.equal(bandTrend, modelBandTrend);
  const bands = (rates: (number | null)[]) => rates.map((r, i) => ({ band: "ABC"[i], topRate: r }));
  assert.equal(bandTrend(bands([0.8, 0.5, 0.1])).rises, true);
  assert.deepEqual(bandTrend(bands([0.8, 0.1, 0.5])).firstFall, { from: "C", to: "B" });
});

Deno.test("gainsCurve starts at the origin and skips undefined rows", () => {
  assert.deepEqual(
    gainsCurve([{ share: 0.5, captured: 0.8 }, { share: 1, captured: 1 }, {
      share: 1,
      captured: null,
    }]),
    [{ share: 0, captured: 0 }, { share: 0.5, captured: 0.8 }, { share: 1, captured: 1 }],
  );
});

Deno.test("messagesByField: grouped, field name dropped, capitalised", () => {
  assert.deepEqual(
    messagesByField([
      { field: "frequency", message: 'frequency must be a number (got "abc")' },
      { field: "monetary", message: "monetary must not be negative (got -5)" },
      { field: "monetary", message: "something else" },
    ]),
    {
      frequency: ['Must be a number (got "abc")'],
      monetary: ["Must not be negative (got -5)", "Something else"],
    },
  );
});

Deno.test("toModelScale / fromModelScale are the scaler's per-value transforms", () => {
  const cols = { a: [0, 1, 10, 100], b: [5, 6, 7, 8] };
  const scaler = fitScaler(cols, ["a", "b"], ["a"]);
  const z = transformRow(scaler, [10, 7]);
  assert.equal(toModelScale(scaler, "a", 10), z[0]);
  assert.equal(toModelScale(scaler, "b", 7), z[1]);
  assert.equal(toModelScale(scaler, "a", 3), transformValue(scaler, "a", 3));
  // a value the model cannot use gives NaN / -Infinity for the widget to skip, not an error
  assert.ok(Number.isNaN(toModelScale(scaler, "a", -2)));
  assert.equal(toModelScale(scaler, "a", -1), -Infinity);
  assert.ok(Math.abs(fromModelScale(scaler, "a", z[0]) - 10) < 1e-9);
  assert.ok(Math.abs(fromModelScale(scaler, "b", z[1]) - 7) < 1e-9);
  assert.throws(() => toModelScale(scaler, "c", 1), RangeError);
  assert.deepEqual(outOfRange(scaler, { a: 10, b: 7 }), []);
  const far = outOfRange(scaler, { a: 1e9, b: 7 });
  assert.deepEqual(far.map((f) => f.feature), ["a"]);
});

Deno.test("niceRawTicks: 0 and 1-2-5 steps, only powers of ten over wide ranges", () => {
  assert.deepEqual(niceRawTicks(0, 60), [0, 1, 2, 5, 10, 20, 50]);
  assert.deepEqual(niceRawTicks(3, 700), [5, 10, 20, 50, 100, 200, 500]);
  assert.deepEqual(niceRawTicks(1, 1e6), [1, 10, 100, 1000, 10000, 100000, 1000000]);
  assert.deepEqual(niceRawTicks(5, 5), []);
});

Deno.test("levelPhrases and joinPhrases: the level rule in words", () => {
  const rule = {
    levels: ["lapsed", "occasional", "loyal"],
    occasionalMinInvoices: 1,
    loyalMinInvoices: 3,
    text: "lapsed: no purchase in the window; occasional: 1–2 invoices; loyal: 3 or more invoices",
  };
  assert.deepEqual(levelPhrases(rule), [
    "lapsed (no purchase)",
    "occasional (1–2 invoices)",
    "loyal (3 or more invoices)",
  ]);
  assert.deepEqual(levelPhrases({ ...rule, loyalMinInvoices: 2 })[1], "occasional (1 invoice)");
  assert.deepEqual(levelPhrases({ ...rule, occasionalMinInvoices: 2, loyalMinInvoices: 5 }), [
    "lapsed (fewer than 2 invoices)",
    "occasional (2–4 invoices)",
    "loyal (5 or more invoices)",
  ]);
  assert.deepEqual(levelPhrases({ levels: ["a", "b"], text: "a: none; b: some" }), [
    "a (none)",
    "b (some)",
  ]);
  assert.equal(joinPhrases(["a", "b", "c"]), "a, b or c");
  assert.equal(joinPhrases(["a", "b"], "and"), "a and b");
  assert.equal(joinPhrases(["a"]), "a");
});
