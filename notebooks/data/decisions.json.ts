/**
 * Data loader: what the Overview and the Customers page decide with, from
 * `<processed>/customers.parquet`, `<reports>/rfm.json`, `<reports>/metrics.json` and
 * `<reports>/model.json`:
 *
 * - `segments`: per RFM segment with customers, its money summary (`segmentSummary` of
 *   src/report/money.ts: revenue, orders, average order value, median recency, frequency and net
 *   revenue) with the rule's description and recommended action;
 * - `targets`: the target groups (`targetGroups`): per segment and per segment × score band, the
 *   customers, revenue, and how many the loyalty model predicts to lapse;
 * - `gains`: how revenue accumulates when today's customers are taken by score (best first) and
 *   by probability of lapsing (`cumulativeShares`);
 * - `horizon`: the prediction window (from the model's evaluation or the model);
 * - `overall`: the median recency, frequency and net revenue of all customers.
 *
 * Sections whose inputs are missing (before the model stage has run) are null.
 */
import { cumulativeShares, segmentSummary, targetGroups } from "../../src/report/money.ts";
import { daysBetween } from "../../src/lib/time.ts";
import { median } from "../../src/lib/stats.ts";
import pl from "nodejs-polars";
import { emit, numbers, outputDirs, readCustomers, readJsonIfExists, sig } from "./_outputs.ts";

interface Rule {
  name: string;
  description: string;
  action: string;
  r: [number, number];
  fm: [number, number];
}
interface Rfm {
  currency: string;
  customers: number;
  revenue: number;
  analysisDate: string;
  segmentRules: Rule[];
}
interface Metrics {
  loyalty?: {
    levels?: string[];
    cutoff?: string;
    windowEnd?: string;
    horizonDays?: number;
    bands?: { band: string }[];
  };
  currentScores?: { bands?: { band: string }[] };
}

const dirs = await outputDirs();
const rfm = readJsonIfExists<Rfm>(`${dirs.reports}/rfm.json`)!;
const metrics = readJsonIfExists<Metrics>(`${dirs.reports}/metrics.json`);
const model = readJsonIfExists<{ levels?: string[]; cutoff?: string; windowEnd?: string }>(
  `${dirs.reports}/model.json`,
);
const df = readCustomers(dirs);
const has = (c: string) => df.columns.includes(c);
const text = (c: string) =>
  has(c) ? (df.getColumn(c).cast(pl.Utf8).toArray() as (string | null)[]) : null;

const segment = text("rfm_segment")!.map((s) => s ?? "");
const recency = numbers(df, "recency_days");
const frequency = numbers(df, "frequency");
const monetary = numbers(df, "monetary");
const order = rfm.segmentRules.map((r) => r.name);
const ruleOf = new Map(rfm.segmentRules.map((r) => [r.name, r]));

const levels = metrics?.loyalty?.levels ?? model?.levels ?? null;
const lowest = levels?.[0] ?? null;
const pCol = lowest !== null && has(`p_${lowest}`) ? `p_${lowest}` : null;
const level = text("loyalty_level");
const band = text("band");
const bandNames = metrics?.currentScores?.bands?.map((b) => b.band) ??
  metrics?.loyalty?.bands?.map((b) => b.band) ??
  [...new Set(band ?? [])].filter((b): b is string => b !== null).sort();
const modelled = level !== null && band !== null && lowest !== null;

const withRule = <T extends { segment: string }>(row: T) => ({
  ...row,
  description: ruleOf.get(row.segment)?.description ?? null,
  action: ruleOf.get(row.segment)?.action ?? null,
});

const summary = segmentSummary({ segment, recency, frequency, monetary }, order).map((s) =>
  withRule({
    ...s,
    share: sig(s.share)!,
    revenueShare: sig(s.revenueShare),
    avgOrderValue: sig(s.avgOrderValue),
    revenuePerCustomer: sig(s.revenuePerCustomer)!,
  })
);

const groups = modelled
  ? targetGroups(
    {
      segment,
      band,
      lapsed: level!.map((l) => l === lowest),
      pLapse: pCol ? numbers(df, pCol) : null,
      monetary,
    },
    order,
    bandNames,
  )
  : null;
const round = <T extends { lapseShare: number; meanLapseProbability: number | null }>(g: T) => ({
  ...g,
  lapseShare: sig(g.lapseShare)!,
  meanLapseProbability: sig(g.meanLapseProbability),
});

const cutoff = metrics?.loyalty?.cutoff ?? model?.cutoff ?? null;
const windowEnd = metrics?.loyalty?.windowEnd ?? model?.windowEnd ?? null;
const horizonDays = metrics?.loyalty?.horizonDays ??
  (cutoff && windowEnd ? daysBetween(cutoff, windowEnd) : null);
const curve = (pts: { share: number; captured: number }[]) =>
  pts.map((p) => ({ share: sig(p.share)!, captured: sig(p.captured)! }));

emit({
  source: [
    dirs.display(`${dirs.processed}/customers.parquet`),
    dirs.display(`${dirs.reports}/rfm.json`),
  ],
  currency: rfm.currency,
  customers: df.height,
  revenue: rfm.revenue,
  analysisDate: rfm.analysisDate,
  levels,
  lowest,
  top: levels?.[levels.length - 1] ?? null,
  bands: modelled ? bandNames : null,
  horizon: horizonDays === null ? null : { cutoff, windowEnd, days: horizonDays },
  overall: {
    recency: median(recency),
    frequency: median(frequency),
    monetary: sig(median(monetary)),
  },
  segments: summary,
  targets: groups
    ? {
      segments: groups.segments.map((g) => withRule(round(g))),
      bands: groups.bands.map(round),
    }
    : null,
  gains: modelled
    ? {
      byScore: has("score") ? curve(cumulativeShares(numbers(df, "score"), monetary)) : null,
      byLapseRisk: pCol ? curve(cumulativeShares(numbers(df, pCol), monetary)) : null,
    }
    : null,
});
