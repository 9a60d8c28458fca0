/**
 * Tests of the verdicts (src/report/verdicts.ts): a model at chance and a strong model give the
 * sentences their numbers allow and no others; every threshold at and just past its boundary;
 * `standing` (narrative.ts) judges by the same rule; the browser bundle's modules export no name
 * twice.
 */
import assert from "node:assert/strict";
import {
  aucSentence,
  aucVerdict,
  bandSentence,
  bandVerdict,
  baselineSentence,
  compareWithBaseline,
  farVerdict,
  rangeSentence,
  rangeVerdict,
  rankingSentence,
  rankingVerdict,
  summarySentence,
  VERDICT_THRESHOLDS,
} from "../../src/report/verdicts.ts";
import { type ModelScores, standing, standingSentence } from "../../src/report/narrative.ts";

const bands = (rates: (number | null)[]) =>
  rates.map((topRate, i) => ({ band: "ABCDE"[i], topRate }));

/** A model at chance: AUC 0.49 [0.45, 0.53], flat band rates (42 % in E → 35 % in A). */
const CHANCE = {
  auc: 0.49,
  aucInterval: { lo: 0.45, hi: 0.53 },
  rates: [0.35, 0.4, 0.38, 0.41, 0.42],
  lift: 1.05,
  f1: { model: 0.34, baseline: 0.36, diff: { lo: -0.05, hi: 0.01 } },
};

/** A strong model (the Online Retail II figures): AUC 0.83 [0.80, 0.86], bands 5 % → 84 %. */
const STRONG = {
  auc: 0.829733,
  aucInterval: { lo: 0.8, hi: 0.86 },
  rates: [0.840426, 0.502994, 0.279245, 0.156794, 0.053333],
  lift: 2.729381,
  f1: { model: 0.62, baseline: 0.55, diff: { lo: 0.03, hi: 0.11 } },
};

/** Every sentence a page would write about a model. */
function sentences(m: typeof CHANCE) {
  const auc = aucVerdict(m.auc, m.aucInterval);
  const vs = compareWithBaseline(m.f1.model, m.f1.baseline, m.f1.diff);
  return {
    auc,
    band: bandVerdict(bands(m.rates)),
    ranking: rankingVerdict(m.lift, auc),
    vs,
    text: [
      aucSentence(auc, "loyal"),
      bandSentence(bandVerdict(bands(m.rates)), "loyal"),
      rankingSentence(rankingVerdict(m.lift, auc), "loyal"),
      baselineSentence(
        vs,
        { model: "the KNN", baseline: "persistence", metric: "macro F1" },
        m.f1.model,
        m.f1.baseline,
      ),
      summarySentence(auc, [vs], "the KNN"),
    ].join("\n"),
  };
}

Deno.test("a model at chance: 'no better than chance', 'does not rise', never 'usefully'", () => {
  const s = sentences(CHANCE);
  assert.equal(s.auc.verdict, "chance");
  assert.equal(s.band.verdict, "does not rise");
  assert.equal(s.ranking.useful, false);
  assert.equal(s.vs.verdict, "level");
  assert.match(s.text, /no better than chance/);
  assert.match(s.text, /does not rise with the score: 42 % in band E against 35 % in band A/);
  assert.match(s.text, /does not rank customers usefully: the AUC is no better than chance/);
  assert.match(s.text, /could be chance/);
  assert.match(s.text, /should not be used to rank customers/);
  for (const banned of [/ranks (customers )?usefully/, /far better than guessing/, /rises band/]) {
    assert.doesNotMatch(s.text, banned);
  }
  assert.doesNotMatch(s.text, /\bis useful\b/);
  // Even a flattering lift does not make a chance-level score rank usefully.
  assert.equal(rankingVerdict(3, s.auc).useful, false);
});

Deno.test("a strong model: 'far better than guessing', 'rises band by band', 'ranks usefully'", () => {
  const s = sentences(STRONG);
  assert.equal(s.auc.verdict, "strong");
  assert.equal(s.band.verdict, "rises");
  assert.equal(s.ranking.useful, true);
  assert.equal(s.vs.verdict, "better");
  assert.equal(
    s.text,
    [
      "The score tells “loyal” customers from the rest far better than guessing: AUC 0.83 " +
      "(95 % interval 0.80 to 0.86, which excludes 0.5).",
      "The share of customers who turned out “loyal” rises band by band, from 5 % in band E " +
      "to 84 % in band A.",
      "The score ranks customers usefully: among the top 10 % by score, “loyal” customers are " +
      "2.7 times as common as among all customers.",
      "On macro F1 the KNN (0.620) is better than persistence (0.550): the difference, 0.070 " +
      "(95 % interval 0.030 to 0.110), is clear of chance.",
      "In short, the KNN is useful — far better than guessing — and better than every baseline.",
    ].join("\n"),
  );
  assert.doesNotMatch(s.text, /no better than chance|does not/);
});

Deno.test("the thresholds are stated (a change here is a deliberate change of the prose)", () => {
  assert.deepEqual(VERDICT_THRESHOLDS, {
    chanceAuc: 0.5,
    aucChanceMargin: 0.05,
    aucStrong: 0.75,
    levelTolerance: 0.01,
    bandMinRise: 0.1,
    bandMaxDip: 0.05,
    usefulLift: 1.5,
    extrapolationShare: 0.05,
    farShare: 0.1,
  });
});

Deno.test("aucVerdict at its boundaries, with and without an interval", () => {
  const v = (auc: number | null, lo?: number | null, hi?: number | null) =>
    aucVerdict(auc, lo === undefined ? undefined : { lo, hi: hi ?? null }).verdict;
  // no interval: 0.5 ± 0.05 is chance (inclusive), 0.75 and up is strong
  assert.equal(v(0.55), "chance");
  assert.equal(v(0.5 + 0.05), "chance");
  assert.equal(v(0.5501), "better");
  assert.equal(v(0.45), "chance");
  assert.equal(v(0.4499), "worse");
  assert.equal(v(0.7499), "better");
  assert.equal(v(0.75), "strong");
  // an interval decides chance, whatever the point estimate
  assert.equal(v(0.7, 0.5, 0.9), "chance", "an interval touching 0.5 includes it");
  assert.equal(v(0.8, 0.5001, 0.9), "strong");
  assert.equal(v(0.6, 0.5001, 0.7), "better");
  assert.equal(v(0.45, 0.4, 0.5), "chance");
  assert.equal(v(0.45, 0.4, 0.4999), "worse");
  assert.equal(v(0.56, 0.52, 0.6), "better", "narrow interval: 0.56 is better than chance");
  assert.equal(v(0.6, 0.45, 0.75), "chance", "wide interval: 0.6 is not");
  // an unusable interval falls back to the margin
  assert.equal(v(0.6, null, null), "better");
  assert.equal(aucVerdict(0.6, { lo: null, hi: 0.7 }).interval, null);
  assert.equal(v(0.6, 0.7, 0.5), "better", "lo > hi is not an interval");
  assert.equal(v(null), "unknown");
  assert.equal(v(NaN), "unknown");
  assert.equal(
    aucSentence(aucVerdict(null), "loyal"),
    "The AUC for “loyal” customers cannot be computed on these data.",
  );
  assert.equal(
    aucSentence(aucVerdict(0.4, { lo: 0.35, hi: 0.45 }), "loyal"),
    "The score tells “loyal” customers from the rest worse than chance: AUC 0.40 " +
      "(95 % interval 0.35 to 0.45, which excludes 0.5).",
  );
});

Deno.test("compareWithBaseline at its boundaries", () => {
  const v = (m: number | null, b: number | null, lo?: number, hi?: number) =>
    compareWithBaseline(m, b, lo === undefined ? undefined : { lo, hi: hi! }).verdict;
  assert.equal(v(0.56, 0.55), "level", "a difference of exactly 0.01 is level");
  assert.equal(v(0.54, 0.55), "level");
  assert.equal(v(0.5601, 0.55), "better");
  assert.equal(v(0.5399, 0.55), "worse");
  assert.equal(v(0.6, 0.5, 0, 0.2), "level", "an interval touching 0 holds 0");
  assert.equal(v(0.6, 0.5, 0.0001, 0.2), "better");
  assert.equal(v(0.4, 0.5, -0.2, 0), "level");
  assert.equal(v(0.4, 0.5, -0.2, -0.0001), "worse");
  assert.equal(v(0.556, 0.551, 0.001, 0.009), "better", "small but clear of chance");
  assert.equal(v(null, 0.5), "unknown");
  assert.equal(compareWithBaseline(0.6, 0.5, undefined, 0.2).verdict, "level", "own tolerance");
  const j = compareWithBaseline(0.5, 0.6);
  assert.equal(
    baselineSentence(
      j,
      { model: "the KNN", baseline: "logistic regression", metric: "AUC" },
      0.5,
      0.6,
    ),
    "On AUC the KNN (0.500) is worse than logistic regression (0.600), by 0.100.",
  );
  assert.equal(
    baselineSentence(
      compareWithBaseline(0.555, 0.551),
      { model: "M", baseline: "B", metric: "F1" },
      0.555,
      0.551,
    ),
    "On F1 M (0.555) is level with B (0.551): the difference, 0.004, is within 0.01.",
  );
  assert.equal(
    baselineSentence(
      compareWithBaseline(null, 1),
      { model: "M", baseline: "B", metric: "F1" },
      null,
      1,
    ),
    "On F1 M cannot be compared with B.",
  );
});

Deno.test("bandVerdict at its boundaries", () => {
  const v = (rates: (number | null)[]) => bandVerdict(bands(rates)).verdict;
  assert.equal(v([0.5, 0.45, 0.4]), "rises", "a rise of exactly 0.10");
  assert.equal(v([0.4999, 0.45, 0.4]), "does not rise", "just under 0.10");
  assert.equal(v([0.6, 0.4, 0.45, 0.2]), "mostly rises", "a dip of exactly 0.05");
  assert.equal(v([0.6, 0.4, 0.4501, 0.2]), "does not rise", "a dip just over 0.05");
  assert.equal(v([0.6, null, 0.3, null, 0.1]), "rises", "empty bands are skipped");
  assert.equal(v([0.3, 0.3, 0.3]), "does not rise", "flat");
  assert.equal(v([0.1, 0.5, 0.9]), "does not rise", "falling");
  assert.equal(v([0.9]), "unknown");
  assert.equal(v([]), "unknown");
  const j = bandVerdict(bands([0.84, 0.5, 0.52, 0.15, 0.05]));
  assert.equal(j.verdict, "mostly rises");
  assert.ok(Math.abs(j.largestDip - 0.02) < 1e-12);
  assert.deepEqual([j.worst, j.best], [{ band: "E", rate: 0.05 }, { band: "A", rate: 0.84 }]);
  assert.equal(
    bandSentence(j, "loyal"),
    "The share of customers who turned out “loyal” mostly rises, from 5 % in band E to 84 % in " +
      "band A, though it dips from band C to band B.",
  );
  assert.equal(
    bandSentence(bandVerdict(bands([0.5])), "loyal"),
    "The share of customers who turned out “loyal” cannot be compared across bands: too few are filled.",
  );
});

Deno.test("rankingVerdict: lift at the threshold, and only with an AUC above chance", () => {
  const strong = aucVerdict(0.86, { lo: 0.83, hi: 0.89 });
  const better = aucVerdict(0.62, { lo: 0.58, hi: 0.66 });
  assert.equal(rankingVerdict(1.5, strong).useful, true, "exactly 1.5");
  assert.equal(rankingVerdict(1.4999, strong).useful, false);
  assert.equal(rankingVerdict(1.6, better).useful, true);
  assert.equal(rankingVerdict(null, strong).reason, "the top-decile lift is unknown");
  for (const auc of [aucVerdict(0.5), aucVerdict(0.3), aucVerdict(null)]) {
    const r = rankingVerdict(4, auc);
    assert.equal(r.useful, false, auc.verdict);
    assert.match(r.reason!, /^the AUC is /);
  }
});

Deno.test("summarySentence: ahead only past every baseline; never 'useful' at chance", () => {
  const auc = aucVerdict(0.62, { lo: 0.58, hi: 0.66 });
  const [better, level, worse] = [
    compareWithBaseline(0.6, 0.5),
    compareWithBaseline(0.6, 0.6),
    compareWithBaseline(0.5, 0.6),
  ];
  assert.equal(
    summarySentence(auc, [better, better], "the KNN"),
    "In short, the KNN is useful — better than chance — and better than every baseline.",
  );
  assert.match(summarySentence(auc, [better, level], "the KNN"), /only level with the best/);
  assert.match(summarySentence(auc, [better, worse], "the KNN"), /not better than the best/);
  assert.match(summarySentence(auc, [], "the KNN"), /no baseline to compare with/);
  for (const a of [aucVerdict(0.5), aucVerdict(0.3), aucVerdict(null)]) {
    const s = summarySentence(a, [better, better], "the KNN");
    assert.doesNotMatch(s, /useful|better than every/, a.verdict);
  }
});

Deno.test("standing (narrative.ts) judges each pair by compareWithBaseline", () => {
  const m = (name: string, macroF1: number | null): ModelScores => ({
    name,
    accuracy: 0,
    balancedAccuracy: 0,
    macroF1: macroF1 as number,
    aucTop: null,
  });
  const map = { better: "ahead", level: "level", worse: "behind" } as const;
  const values = [0.3, 0.49, 0.5, 0.5099, 0.51, 0.5101, 0.6];
  for (const a of values) {
    for (const b of values) {
      const s = standing(m("KNN", a), [m("other", b)], "macroF1");
      const j = compareWithBaseline(a, b);
      assert.equal(s.verdict, map[j.verdict as keyof typeof map], `${a} vs ${b}`);
      assert.equal(s.beats.length, j.verdict === "better" ? 1 : 0);
    }
  }
  // with the paired-bootstrap interval of the difference
  const s = standing(m("KNN", 0.6), [m("persistence", 0.55), m("majority", 0.2)], "macroF1", 0.01, {
    persistence: { lo: -0.01, hi: 0.11 },
  });
  assert.equal(s.verdict, "level");
  assert.deepEqual(s.interval, { lo: -0.01, hi: 0.11 });
  assert.deepEqual(s.beats.map((x) => x.name), ["majority"]);
  assert.equal(
    standingSentence(s, { model: "the KNN", metric: "macro F1" }),
    "On macro F1 the KNN (0.600) is level with the best baseline, persistence (0.550): the " +
      "difference could be chance (95 % interval -0.010 to 0.110); it is clearly above " +
      "majority (0.200).",
  );
});

Deno.test("the browser bundle's modules (and reasons.ts) export no name twice", async () => {
  const modules = [
    "../../src/score/score.ts",
    "../../src/report/narrative.ts",
    "../../src/config/features.ts",
    "../../src/lib/time.ts",
    "../../src/report/verdicts.ts",
    "../../src/score/reasons.ts", // the widget's reason codes, ready to join the bundle
  ];
  const seen = new Map<string, string>();
  for (const path of modules) {
    for (const name of Object.keys(await import(path))) {
      assert.ok(!seen.has(name), `${name} is exported by ${seen.get(name)} and ${path}`);
      seen.set(name, path);
    }
  }
  const bundle = await import("../../src/site/browser.ts");
  for (const name of ["aucVerdict", "bandVerdict", "rankingVerdict", "standing"]) {
    assert.equal(typeof (bundle as Record<string, unknown>)[name], "function", name);
  }
});

Deno.test("rangeVerdict: names the feature with the most customers outside, from 5 % on", () => {
  const f = (feature: string, below: number, above: number) => ({
    feature,
    trainingMin: 0,
    trainingMax: 10,
    belowRange: below,
    aboveRange: above,
    outsideRange: below + above,
  });
  assert.equal(VERDICT_THRESHOLDS.extrapolationShare, 0.05);
  assert.equal(rangeVerdict([f("a", 0.05, 0)]).extrapolates, true, "exactly at the threshold");
  assert.equal(rangeVerdict([f("a", 0.049, 0)]).extrapolates, false, "just below it");
  const j = rangeVerdict([f("a", 0.2, 0), f("b", 0.1, 0.15), f("c", 0, 0.01)]);
  assert.equal(j.worst?.feature, "b");
  assert.match(rangeSentence(j, "b"), /^For 25 % of today's customers the feature “b” is outside /);
  assert.match(rangeSentence(rangeVerdict([f("a", 0, 0.3)]), "a"), / is above every training/);
  assert.equal(rangeSentence(rangeVerdict([f("a", 0.01, 0)]), "a"), "", "no sentence below 5 %");
  assert.deepEqual(rangeVerdict([]), { extrapolates: false, worst: null });
});

Deno.test("farVerdict: warns from more than 10 % far customers; names the farthest median", () => {
  const d = (anyOutside: number, outsideB: number) => ({
    limit: 4,
    customers: 1000,
    anyOutside,
    features: [
      { feature: "a", medianZ: 0.3, outside: 5 },
      { feature: "b", medianZ: -4.2, outside: outsideB },
      { feature: "c", medianZ: null, outside: 0 },
    ],
  });
  assert.equal(VERDICT_THRESHOLDS.farShare, 0.1);
  assert.equal(farVerdict(d(100, 100)).warn, false, "exactly 10 % does not warn");
  assert.equal(farVerdict(d(101, 100)).warn, true, "just above it does");
  const j = farVerdict(d(400, 350));
  assert.deepEqual(j.worst, { feature: "b", medianZ: -4.2 });
  assert.deepEqual(j.far, [{ feature: "b", share: 0.35 }]);
  assert.deepEqual(farVerdict({ limit: 4, customers: 0, anyOutside: 0, features: [] }), {
    warn: false,
    share: 0,
    worst: null,
    far: [],
  });
});
