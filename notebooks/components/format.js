// Number formatting for prose, tables and chart labels (en-GB conventions), and the ticks of log
// axes.
import { niceRawTicks } from "./generated/workspace.js";

const intFormat = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });

/** 1234567 → "1,234,567"; null → "–". */
export function fmtInt(x) {
  return x == null || !Number.isFinite(x) ? "–" : intFormat.format(x);
}

/** Number with up to `digits` decimals: 1234.5 → "1,234.5". */
export function fmtNum(x, digits = 2) {
  return x == null || !Number.isFinite(x)
    ? "–"
    : new Intl.NumberFormat("en-GB", { maximumFractionDigits: digits }).format(x);
}

/** Number with exactly `digits` decimals (for columns of scores): 0.83 → "0.830". */
export function fmtFixed(x, digits = 3) {
  return x == null || !Number.isFinite(x) ? "–" : x.toFixed(digits);
}

/**
 * Share 0..1 as a percentage: 0.1234 → "12.3%". A share that is not exactly 0 or 1 never prints
 * as "0%" or "100%": 0.99991 → "> 99.9%", 0.00004 → "< 0.1%". With `trim`, trailing zeros are
 * left out: fmtPct(0.25, 2, { trim: true }) → "25%", fmtPct(0.0014, 2, { trim: true }) → "0.14%".
 */
export function fmtPct(x, digits = 1, { trim = false } = {}) {
  if (x == null || !Number.isFinite(x)) return "–";
  const f = new Intl.NumberFormat("en-GB", {
    style: "percent",
    minimumFractionDigits: trim ? 0 : digits,
    maximumFractionDigits: digits,
  });
  const step = 10 ** -digits / 100; // the smallest share shown
  if (x > 0 && x < step / 2) return `< ${f.format(step)}`;
  if (x < 1 && x > 1 - step / 2) return `> ${f.format(1 - step)}`;
  return f.format(x);
}

/** Money in the dataset's currency: fmtMoney(16487764.36, "GBP") → "£16,487,764". */
export function fmtMoney(x, currency, { digits = 0 } = {}) {
  if (x == null || !Number.isFinite(x)) return "–";
  try {
    return new Intl.NumberFormat("en-GB", {
      style: "currency",
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(x);
  } catch {
    return `${fmtNum(x, digits)} ${currency ?? ""}`.trim();
  }
}

/** Compact money for axes and headline cards: "£16.5M", "£2.9k". */
export function fmtMoneyShort(x, currency) {
  if (x == null || !Number.isFinite(x)) return "–";
  try {
    return new Intl.NumberFormat("en-GB", {
      style: "currency",
      currency,
      notation: "compact",
      maximumFractionDigits: 1,
    }).format(x);
  } catch {
    return fmtNum(x, 1);
  }
}

/** The currency symbol alone ("£" for GBP, "US$" for USD in en-GB), for axis labels. */
export function currencySymbol(currency) {
  try {
    const parts = new Intl.NumberFormat("en-GB", { style: "currency", currency }).formatToParts(0);
    return parts.find((p) => p.type === "currency")?.value ?? currency;
  } catch {
    return currency ?? "";
  }
}

/** ISO date "2011-12-10" → "10 Dec 2011". */
export function fmtDate(iso) {
  if (!iso) return "–";
  const d = new Date(String(iso).slice(0, 10) + "T00:00:00Z");
  return Number.isNaN(+d) ? String(iso) : d.toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
}

/** "non_positive_price" → "Non positive price". */
export function humanize(code) {
  const s = String(code).replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Compact tick label (log axes, and linear ones on a phone): 0.001, 0.01 … 1, 10, 100, 1k, 10k, 1M
 * (no "m" for milli).
 */
export function fmtLogTick(x) {
  if (!Number.isFinite(x)) return "";
  if (x >= 1e6) return `${+(x / 1e6).toPrecision(3)}M`;
  if (x >= 1e3) return `${+(x / 1e3).toPrecision(3)}k`;
  return String(+x.toPrecision(3));
}

/**
 * Tick options of a linear count axis: on a phone (a chart narrower than 520 px) two ticks in short
 * form (100k), so that the labels do not run into each other; wider, `ticks` full numbers.
 *
 * @param {number} width the chart's width
 * @param {number} ticks how many ticks on a wide chart
 */
export function countTicks(width, ticks = 5) {
  return width < 520 ? { ticks: 2, tickFormat: fmtLogTick } : { ticks };
}

/**
 * Tick values for a log axis over [min, max]: the bundle's round values (`niceRawTicks`: 1, 2 and
 * 5 × powers of ten), only the powers of ten when the range spans 2.5 decades or more (so that a
 * short axis still has a few labels and a long one is not crowded). With `thin` (a narrow chart),
 * every other tick when there are more than five.
 *
 * @param {number} min smallest value on the axis (> 0)
 * @param {number} max largest value on the axis
 * @param {{thin?: boolean}} options
 */
export function logTicks(min, max, { thin = false } = {}) {
  const wide = Math.log10(max / min) >= 2.5;
  const ticks = niceRawTicks(min * 0.999, max * 1.001).filter((t) =>
    t > 0 && (!wide || t.toExponential().startsWith("1e"))
  );
  return thin && ticks.length > 5 ? ticks.filter((_, i) => i % 2 === 0) : ticks;
}

/** Tick values for a symmetric-log count axis: 0, 1, 10, 100 … up to max. */
export function symlogTicks(max) {
  const ticks = [0];
  for (let t = 1; t <= max; t *= 10) ticks.push(t);
  return ticks;
}

/**
 * The width to draw a chart at: the container's width, but never less than 240 px. While a page
 * lays out, a container can briefly report a width smaller than a chart's margins, which would
 * give Plot negative sizes (and the browser console errors).
 */
export function chartWidth(width) {
  return Math.max(240, Math.floor(Number.isFinite(width) ? width : 0));
}
