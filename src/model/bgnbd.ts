/**
 * The BG/NBD (beta-geometric / negative binomial distribution) model of repeat buying, after
 * Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the
 * Pareto/NBD Model", Marketing Science 24(2), 275–284 (FHL below).
 *
 * Assumptions (FHL §3): while active, a customer buys as a Poisson process with rate λ; after
 * each repeat purchase the customer becomes inactive for good with probability p; λ ~ Gamma(r, α)
 * (shape r, rate α) and p ~ Beta(a, b) across customers, independently. A customer is summarised
 * by `x` (repeat purchases in the calibration period), `tx` (time of the last repeat purchase,
 * 0 when x = 0) and `T` (time from the first purchase to the end of calibration), all times in
 * one unit (weeks in FHL), measured from the customer's first purchase.
 *
 * Fitting ({@link fitBgNbd}) is separate from prediction ({@link expectedPurchases},
 * {@link probabilityAlive}, {@link probabilityPurchases}, {@link probabilityAtLeast}); the fitted
 * {@link BgNbdModel} is plain JSON data and every prediction accepts it (or any
 * {@link BgNbdParams}) after a JSON round trip. {@link summariseCalibration} turns a purchase log
 * into the (x, tx, T) summary. The special functions the formulas need, {@link lnGamma} and the
 * Gaussian hypergeometric {@link hyp2f1}, are implemented here (no dependency). Pure and
 * deterministic: no I/O, no clock, no `Math.random`.
 *
 * @module
 */

import { dayIso, isoDay } from "../lib/time.ts";

/** The four BG/NBD parameters, all > 0. */
export interface BgNbdParams {
  /** Shape of the gamma distribution of the purchase rate λ. */
  readonly r: number;
  /** Rate (inverse scale) of the gamma distribution of λ, in the data's time unit. */
  readonly alpha: number;
  /** First shape parameter of the beta distribution of the drop-out probability p. */
  readonly a: number;
  /** Second shape parameter of the beta distribution of p. */
  readonly b: number;
}

/**
 * A calibration summary, one entry per customer (the three columns have the same length):
 * `x` repeat purchases (an integer ≥ 0), `tx` the time of the last repeat purchase (0 when
 * `x = 0`), `T` the time from the first purchase to the end of calibration (`0 ≤ tx ≤ T`).
 */
export interface BgNbdData {
  /** Repeat purchases per customer. */
  readonly x: ArrayLike<number>;
  /** Time of the last repeat purchase per customer (0 when x = 0). */
  readonly tx: ArrayLike<number>;
  /** Time from the first purchase to the end of calibration per customer. */
  readonly T: ArrayLike<number>;
}

/** One customer's history: `x` repeat purchases, the last at `tx`, observed until `T`. */
export interface BgNbdCustomer {
  /** Repeat purchases (an integer ≥ 0). */
  readonly x: number;
  /** Time of the last repeat purchase (0 when x = 0), `0 ≤ tx ≤ T`. */
  readonly tx: number;
  /** Time from the first purchase to the end of calibration. */
  readonly T: number;
}

/** A fitted BG/NBD model: the estimates plus how the fit went. Plain JSON-serialisable data. */
export interface BgNbdModel extends BgNbdParams {
  /** The maximised log-likelihood, eq. (6) of FHL summed over customers. */
  readonly logLikelihood: number;
  /** Number of customers fitted. */
  readonly customers: number;
  /** Nelder–Mead iterations, over all runs. */
  readonly iterations: number;
  /** Log-likelihood evaluations, over all runs. */
  readonly evaluations: number;
  /** Whether the convergence test was met before `maxIterations` ran out. */
  readonly converged: boolean;
}

/** Options of {@link fitBgNbd}; bounds and defaults are in {@link BGNBD_FIT_OPTIONS}. */
export interface BgNbdFitOptions {
  /** Maximum Nelder–Mead iterations over all runs (an integer in [1, 1,000,000]; 20,000). */
  readonly maxIterations?: number;
  /**
   * Convergence tolerance on the log-likelihood (in [1e-14, 1e-2]; 1e-10). A run stops when the
   * simplex's log-likelihoods span ≤ `tolerance` and its vertices are within √`tolerance` of the
   * best one in every log-parameter; the fit stops when a fresh run from the best point improves
   * the log-likelihood by ≤ `tolerance`.
   */
  readonly tolerance?: number;
  /** Starting point (each parameter finite and > 0; `{ r: 1, alpha: 1, a: 1, b: 1 }`). */
  readonly initial?: BgNbdParams;
}

/** The declared bounds and defaults of the {@link BgNbdFitOptions}. */
export const BGNBD_FIT_OPTIONS = {
  maxIterations: { min: 1, max: 1_000_000, default: 20_000 },
  tolerance: { min: 1e-14, max: 1e-2, default: 1e-10 },
  initial: { default: { r: 1, alpha: 1, a: 1, b: 1 } as BgNbdParams },
} as const;

/** Days per time unit of {@link summariseCalibration}: default 7 (weeks); must be finite, > 0. */
export const DEFAULT_UNIT_DAYS = 7;

// ---------------------------------------------------------------------------------------------
// Special functions
// ---------------------------------------------------------------------------------------------

/** Lanczos coefficients for g = 7, n = 9 (relative error of Γ about 1e-15). */
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993,
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
];
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The natural logarithm of the gamma function, ln Γ(x), for x > 0 (Lanczos approximation,
 * g = 7, 9 terms; x < 0.5 through the reflection formula). Relative accuracy about 1e-15 away
 * from the zeros of ln Γ at 1 and 2, absolute accuracy about 1e-15 near them.
 *
 * @example
 * ```ts
 * import { lnGamma } from "./bgnbd.ts";
 * import { ok } from "node:assert/strict";
 * ok(Math.abs(lnGamma(5) - Math.log(24)) < 1e-13);
 * ok(Math.abs(lnGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-13);
 * ```
 * @throws {RangeError} when x is not a finite number > 0
 */
export function lnGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) {
    throw new RangeError(`lnGamma needs a finite x > 0, got ${x}`);
  }
  return lnGammaPositive(x);
}

/** ln Γ(x) for x > 0, unchecked. */
function lnGammaPositive(x: number): number {
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1 − x) = π / sin(πx), with sin(πx) > 0 on (0, 0.5).
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGammaPositive(1 - x);
  }
  const y = x - 1;
  let s = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i] / (y + i);
  const t = y + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** The most terms a hypergeometric or negative binomial series may take before it gives up. */
const SERIES_MAX_TERMS = 10_000_000;
/** Relative precision the series aim for (the double's unit round-off). */
const SERIES_EPS = 2 ** -53;

/**
 * Σ_{n≥1} t_n with t_1 = `first` and t_{n+1} / t_n = (p + n)(q + n) z / ((c + n)(n + 1)): the
 * tail of the Gaussian hypergeometric series of 2F1(p, q; c; z) after its first term, scaled by
 * `first / (pqz/c)`. The terms are summed relative to the first one (so tiny or huge first terms
 * neither underflow nor overflow the sum) with Neumaier's compensated summation. Stops once the
 * remaining terms are provably (for ratios that settle monotonically towards z, as they do once
 * n exceeds |p|, |q|, |c|) below the double's precision of the sum:
 * |t_{n+1}| / (1 − max(ρ_n, z)) ≤ ε |sum|, or once they fall below 1e-300 of the first term.
 */
function seriesTail(first: number, p: number, q: number, c: number, z: number): number {
  if (first === 0) return 0;
  let term = 1;
  let sum = 0;
  let compensation = 0;
  const settled = Math.max(Math.abs(p), Math.abs(q), Math.abs(c)) + 2;
  for (let n = 1; n <= SERIES_MAX_TERMS; n++) {
    const s = sum + term;
    compensation += Math.abs(sum) >= Math.abs(term) ? sum - s + term : term - s + sum;
    sum = s;
    const ratio = ((p + n) * (q + n) * z) / ((c + n) * (n + 1));
    const next = term * ratio;
    if (Math.abs(next) < 1e-300 || !Number.isFinite(sum)) return first * (sum + compensation);
    if (n >= settled) {
      const bound = Math.max(Math.abs(ratio), Math.abs(z));
      if (bound < 1 && Math.abs(next) / (1 - bound) <= SERIES_EPS * Math.abs(sum)) {
        return first * (sum + compensation + next);
      }
    }
    term = next;
  }
  throw new RangeError(
    `hypergeometric series did not converge within ${SERIES_MAX_TERMS} terms ` +
      `(z = ${z}, too close to 1)`,
  );
}

/**
 * The Gaussian hypergeometric function 2F1(a, b; c; z) = Σ_n (a)_n (b)_n / ((c)_n n!) zⁿ for
 * real z < 1, by its power series with a convergence check. For z < 0 the Pfaff transformation
 * 2F1(a, b; c; z) = (1 − z)^(−a) 2F1(a, c − b; c; z / (z − 1)) maps the argument into [0, 1);
 * on [0, 1), when c − a − b < 0 (the series' terms then grow like n^(a+b−c−1) before zⁿ wins),
 * Euler's transformation 2F1(a, b; c; z) = (1 − z)^(c−a−b) 2F1(c − a, c − b; c; z) is used so
 * the summed terms decay. The series needs about 37 / (1 − z) terms near z = 1, and gives up
 * (RangeError) past 10,000,000 terms, i.e. for 1 − z below about 4e-6.
 *
 * @example
 * ```ts
 * import { hyp2f1 } from "./bgnbd.ts";
 * import { ok } from "node:assert/strict";
 * // 2F1(1, 1; 2; z) = −ln(1 − z) / z
 * ok(Math.abs(hyp2f1(1, 1, 2, 0.9) - -Math.log(0.1) / 0.9) < 1e-13);
 * ok(Math.abs(hyp2f1(1, 1, 2, -3) - Math.log(4) / 3) < 1e-13);
 * // 2F1(a, b; b; z) = (1 − z)^(−a)
 * ok(Math.abs(hyp2f1(0.3, 2.5, 2.5, 0.5) - 0.5 ** -0.3) < 1e-13);
 * ```
 * @throws {RangeError} when an argument is not finite, z ≥ 1, c is 0 or a negative integer, or
 *   the series does not converge
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  for (const [name, v] of [["a", a], ["b", b], ["c", c], ["z", z]] as const) {
    if (!Number.isFinite(v)) throw new RangeError(`hyp2f1: ${name} must be finite, got ${v}`);
  }
  if (!(z < 1)) throw new RangeError(`hyp2f1: z must be < 1, got ${z}`);
  if (c <= 0 && Number.isInteger(c)) {
    throw new RangeError(`hyp2f1: c must not be 0 or a negative integer, got ${c}`);
  }
  if (z < 0) return Math.pow(1 - z, -a) * hyp2f1Unit(a, c - b, c, z / (z - 1));
  return hyp2f1Unit(a, b, c, z);
}

/** 2F1(a, b; c; z) for z in [0, 1), c not a non-positive integer (unchecked). */
function hyp2f1Unit(a: number, b: number, c: number, z: number): number {
  if (z === 0) return 1;
  if (c - a - b < 0) {
    const p = c - a;
    const q = c - b;
    return Math.pow(1 - z, c - a - b) * (1 + seriesTail((p * q * z) / c, p, q, c, z));
  }
  return 1 + seriesTail((a * b * z) / c, a, b, c, z);
}

/** ln(e^u + e^v) without overflow (either may be −∞). */
function logAddExp(u: number, v: number): number {
  if (u === -Infinity) return v;
  if (v === -Infinity) return u;
  const m = Math.max(u, v);
  return m + Math.log1p(Math.exp(-Math.abs(u - v)));
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** Throws a RangeError unless every parameter is a finite number > 0. */
function checkParams(params: BgNbdParams, label = "params"): void {
  if (typeof params !== "object" || params === null) {
    throw new RangeError(`${label} must be an object { r, alpha, a, b }`);
  }
  for (const name of ["r", "alpha", "a", "b"] as const) {
    const v = params[name];
    if (typeof v !== "number" || !Number.isFinite(v) || !(v > 0)) {
      throw new RangeError(`${label}.${name} must be a finite number > 0, got ${String(v)}`);
    }
  }
}

/** Throws a RangeError naming `where` and the field unless (x, tx, T) is a valid history. */
function checkHistory(x: number, tx: number, T: number, field: (f: string) => string): void {
  if (typeof x !== "number" || !Number.isInteger(x) || x < 0) {
    throw new RangeError(`${field("x")} must be an integer ≥ 0, got ${String(x)}`);
  }
  if (typeof tx !== "number" || !Number.isFinite(tx) || tx < 0) {
    throw new RangeError(`${field("tx")} must be a finite number ≥ 0, got ${String(tx)}`);
  }
  if (typeof T !== "number" || !Number.isFinite(T) || T < 0) {
    throw new RangeError(`${field("T")} must be a finite number ≥ 0, got ${String(T)}`);
  }
  if (tx > T) {
    throw new RangeError(`${field("tx")} = ${tx} exceeds ${field("T")} = ${T}`);
  }
  if (x === 0 && tx !== 0) {
    throw new RangeError(`${field("tx")} must be 0 when ${field("x")} = 0, got ${tx}`);
  }
}

/** Throws a RangeError naming the customer index and field of the first invalid entry. */
function checkData(data: BgNbdData): number {
  if (typeof data !== "object" || data === null) {
    throw new RangeError("data must be an object { x, tx, T }");
  }
  const n = data.x?.length;
  if (typeof n !== "number" || data.tx?.length !== n || data.T?.length !== n) {
    throw new RangeError(
      `data.x, data.tx and data.T must be arrays of one length, got ` +
        `${data.x?.length}, ${data.tx?.length}, ${data.T?.length}`,
    );
  }
  for (let i = 0; i < n; i++) {
    checkHistory(data.x[i], data.tx[i], data.T[i], (f) => `data.${f}[${i}] (customer ${i})`);
  }
  return n;
}

/** Throws a RangeError unless the customer is a valid history. */
function checkCustomer(customer: BgNbdCustomer): void {
  if (typeof customer !== "object" || customer === null) {
    throw new RangeError("customer must be an object { x, tx, T }");
  }
  checkHistory(customer.x, customer.tx, customer.T, (f) => `customer.${f}`);
}

/** Throws a RangeError unless `t` is a finite number ≥ 0. */
function checkHorizon(t: number): void {
  if (typeof t !== "number" || !Number.isFinite(t) || t < 0) {
    throw new RangeError(`t must be a finite number ≥ 0, got ${String(t)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Likelihood
// ---------------------------------------------------------------------------------------------

/** Distinct (x, tx, T) triples with their multiplicities. */
interface Grouped {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
  /** The distinct x (in order of first appearance), and each group's place among them. */
  xs: Float64Array;
  xAt: Int32Array;
}

/** Groups identical customers, in order of first appearance (validated data). */
function groupData(data: BgNbdData, n: number): Grouped {
  const index = new Map<string, number>();
  const x: number[] = [];
  const tx: number[] = [];
  const T: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = `${data.x[i]}|${data.tx[i]}|${data.T[i]}`;
    const j = index.get(key);
    if (j === undefined) {
      index.set(key, x.length);
      x.push(data.x[i]);
      tx.push(data.tx[i]);
      T.push(data.T[i]);
      weight.push(1);
    } else {
      weight[j]++;
    }
  }
  const xIndex = new Map<number, number>();
  const xAt = Int32Array.from(x, (v) => {
    let k = xIndex.get(v);
    if (k === undefined) {
      k = xIndex.size;
      xIndex.set(v, k);
    }
    return k;
  });
  return {
    x: Float64Array.from(x),
    tx: Float64Array.from(tx),
    T: Float64Array.from(T),
    weight: Float64Array.from(weight),
    xs: Float64Array.from(xIndex.keys()),
    xAt,
  };
}

/**
 * Σ weight · ln L(r, α, a, b | x, tx, T) (unchecked; NaN or −∞ when the parameters overflow).
 * Per customer, with A1..A4 as in Fader, Hardie & Lee's note "Implementing the BG/NBD Model for
 * Customer Base Analysis in Excel":
 * ln L = A1 + A2 + ln(e^A3 + δ_{x>0} e^A4), A1 = ln Γ(r+x) − ln Γ(r) + r ln α,
 * A2 = ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x), A3 = −(r+x) ln(α+T),
 * A4 = ln a − ln(b+x−1) − (r+x) ln(α+tx).
 */
function logLikelihoodGrouped(p: BgNbdParams, g: Grouped): number {
  const { r, alpha, a, b } = p;
  const lgR = lnGammaPositive(r);
  const lgB = lnGammaPositive(b);
  const lgAB = lnGammaPositive(a + b);
  const rLnAlpha = r * Math.log(alpha);
  const lnA = Math.log(a);
  // The terms that depend on x alone, once per distinct x (the same expressions).
  const nx = g.xs.length;
  const a12 = new Float64Array(nx);
  const a4x = new Float64Array(nx);
  for (let k = 0; k < nx; k++) {
    const x = g.xs[k];
    const a1 = lnGammaPositive(r + x) - lgR + rLnAlpha;
    const a2 = lgAB + lnGammaPositive(b + x) - lgB - lnGammaPositive(a + b + x);
    a12[k] = a1 + a2;
    a4x[k] = x > 0 ? lnA - Math.log(b + x - 1) : 0;
  }
  let total = 0;
  for (let i = 0; i < g.x.length; i++) {
    const x = g.x[i];
    const k = g.xAt[i];
    const a3 = -(r + x) * Math.log(alpha + g.T[i]);
    const a4 = x > 0 ? a4x[k] - (r + x) * Math.log(alpha + g.tx[i]) : -Infinity;
    total += g.weight[i] * (a12[k] + logAddExp(a3, a4));
  }
  return total;
}

/**
 * The BG/NBD log-likelihood of FHL eq. (6), summed over customers:
 *
 * L(r, α, a, b | x, tx, T) = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
 *   + δ_{x>0} B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+tx)^(r+x)),
 *
 * evaluated on the log scale (log-gamma functions and a log-sum-exp of the two terms), so it is
 * finite for any valid data and parameters. Times must be in the unit the parameter α refers to.
 *
 * @example
 * ```ts
 * import { bgnbdLogLikelihood } from "./bgnbd.ts";
 * import { ok } from "node:assert/strict";
 * // One customer with no repeat purchase: L = (α / (α + T))^r.
 * const ll = bgnbdLogLikelihood({ r: 0.5, alpha: 2, a: 1, b: 2 }, { x: [0], tx: [0], T: [10] });
 * ok(Math.abs(ll - 0.5 * Math.log(2 / 12)) < 1e-12);
 * ```
 * @param params the model parameters, each finite and > 0
 * @param data the calibration summary
 * @returns Σ ln L over customers (0 for no customers)
 * @throws {RangeError} for an invalid parameter, or naming the customer index and field of the
 *   first invalid entry (x not an integer ≥ 0, a negative or non-finite time, tx > T, or tx ≠ 0
 *   when x = 0), or when the columns differ in length
 */
export function bgnbdLogLikelihood(params: BgNbdParams, data: BgNbdData): number {
  checkParams(params);
  const n = checkData(data);
  return logLikelihoodGrouped(params, groupData(data, n));
}

// ---------------------------------------------------------------------------------------------
// Fit
// ---------------------------------------------------------------------------------------------

/** Resolved, checked fit options. */
interface FitSettings {
  maxIterations: number;
  tolerance: number;
  initial: BgNbdParams;
}

/** Checks the options once against {@link BGNBD_FIT_OPTIONS} and fills in the defaults. */
function fitSettings(options: BgNbdFitOptions): FitSettings {
  if (typeof options !== "object" || options === null) {
    throw new RangeError("options must be an object");
  }
  const { maxIterations: mi, tolerance: tol, initial } = BGNBD_FIT_OPTIONS;
  const maxIterations = options.maxIterations ?? mi.default;
  if (!Number.isInteger(maxIterations) || maxIterations < mi.min || maxIterations > mi.max) {
    throw new RangeError(
      `options.maxIterations must be an integer in [${mi.min}, ${mi.max}], got ${maxIterations}`,
    );
  }
  const tolerance = options.tolerance ?? tol.default;
  if (!(tolerance >= tol.min && tolerance <= tol.max)) {
    throw new RangeError(
      `options.tolerance must be a number in [${tol.min}, ${tol.max}], got ${tolerance}`,
    );
  }
  const start = options.initial ?? initial.default;
  checkParams(start, "options.initial");
  return { maxIterations, tolerance, initial: start };
}

/** Result of one Nelder–Mead run. */
interface SimplexRun {
  best: number[];
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

/**
 * Minimises f by Nelder–Mead (reflection 1, expansion 2, contraction ½, shrink ½) from the
 * simplex x0, x0 + step·e_i. Converged when the values span ≤ fTol and every vertex is within
 * xTol of the best in every coordinate. Ties are broken by vertex index (deterministic).
 */
function nelderMead(
  f: (v: number[]) => number,
  x0: number[],
  step: number,
  fTol: number,
  xTol: number,
  maxIterations: number,
): SimplexRun {
  const d = x0.length;
  let evaluations = 0;
  const value = (v: number[]): number => {
    evaluations++;
    const y = f(v);
    return Number.isNaN(y) ? Infinity : y;
  };
  let pts: number[][] = [x0.slice()];
  for (let i = 0; i < d; i++) {
    const v = x0.slice();
    v[i] += step;
    pts.push(v);
  }
  let vals = pts.map(value);
  let iterations = 0;
  let converged = false;
  while (true) {
    const order = vals.map((_, i) => i).sort((i, j) => vals[i] - vals[j] || i - j);
    pts = order.map((i) => pts[i]);
    vals = order.map((i) => vals[i]);
    let spread = 0;
    for (let i = 1; i <= d; i++) {
      for (let k = 0; k < d; k++) spread = Math.max(spread, Math.abs(pts[i][k] - pts[0][k]));
    }
    if (vals[d] - vals[0] <= fTol && spread <= xTol) {
      converged = true;
      break;
    }
    if (iterations >= maxIterations) break;
    iterations++;
    const centroid = new Array<number>(d).fill(0);
    for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) centroid[k] += pts[i][k] / d;
    const worst = pts[d];
    const along = (s: number): number[] => centroid.map((c, k) => c + s * (worst[k] - c));
    const xr = along(-1);
    const fr = value(xr);
    if (fr < vals[0]) {
      const xe = along(-2);
      const fe = value(xe);
      if (fe < fr) {
        pts[d] = xe;
        vals[d] = fe;
      } else {
        pts[d] = xr;
        vals[d] = fr;
      }
      continue;
    }
    if (fr < vals[d - 1]) {
      pts[d] = xr;
      vals[d] = fr;
      continue;
    }
    const outside = fr < vals[d];
    const xc = along(outside ? -0.5 : 0.5);
    const fc = value(xc);
    if (outside ? fc <= fr : fc < vals[d]) {
      pts[d] = xc;
      vals[d] = fc;
      continue;
    }
    for (let i = 1; i <= d; i++) {
      pts[i] = pts[i].map((v, k) => pts[0][k] + 0.5 * (v - pts[0][k]));
      vals[i] = value(pts[i]);
    }
  }
  return { best: pts[0], value: vals[0], iterations, evaluations, converged };
}

/**
 * Fits the BG/NBD model by maximum likelihood (FHL eq. 6) over r, α, a, b > 0.
 *
 * The search runs Nelder–Mead on the log-parameters (ln r, ln α, ln a, ln b) from
 * `options.initial` with a simplex step of 1 (a factor e), then restarts Nelder–Mead from the
 * best point with a fresh simplex (step 0.1) until a restart improves the log-likelihood by no
 * more than `options.tolerance`; all runs share the `options.maxIterations` budget. Identical
 * customers are grouped first, so the cost per evaluation is the number of distinct (x, tx, T)
 * triples. Deterministic: the same data and options always give the same model.
 *
 * @example
 * ```ts
 * import { fitBgNbd } from "./bgnbd.ts";
 * import { ok, equal } from "node:assert/strict";
 * const model = fitBgNbd({
 *   x: [0, 1, 0, 3, 2, 0, 5, 1, 0, 0],
 *   tx: [0, 20, 0, 30, 12, 0, 35, 2, 0, 0],
 *   T: [39, 38, 37, 36, 35, 34, 38, 39, 30, 31],
 * });
 * ok(model.converged);
 * equal(model.customers, 10);
 * ok(model.r > 0 && model.alpha > 0 && model.a > 0 && model.b > 0);
 * equal(JSON.parse(JSON.stringify(model)).logLikelihood, model.logLikelihood);
 * ```
 * @param data the calibration summary (at least one customer)
 * @param options iteration budget, tolerance and starting point ({@link BGNBD_FIT_OPTIONS})
 * @returns the fitted model with its log-likelihood and search statistics; `converged` is false
 *   when the iteration budget ran out first (the best point found is returned)
 * @throws {RangeError} for invalid data (naming the customer index and field), no customers,
 *   an option out of its bounds, or a likelihood that is not finite at the starting point
 */
export function fitBgNbd(data: BgNbdData, options: BgNbdFitOptions = {}): BgNbdModel {
  const settings = fitSettings(options);
  const n = checkData(data);
  if (n === 0) throw new RangeError("fitBgNbd needs at least one customer");
  const grouped = groupData(data, n);
  const toParams = (v: number[]): BgNbdParams => ({
    r: Math.exp(v[0]),
    alpha: Math.exp(v[1]),
    a: Math.exp(v[2]),
    b: Math.exp(v[3]),
  });
  const objective = (v: number[]): number => {
    const p = toParams(v);
    if (!(p.r > 0 && p.alpha > 0 && p.a > 0 && p.b > 0) || !Number.isFinite(p.a + p.b + p.r)) {
      return Infinity;
    }
    const ll = logLikelihoodGrouped(p, grouped);
    return Number.isFinite(ll) ? -ll : Infinity;
  };
  const { initial, tolerance, maxIterations } = settings;
  let best = [initial.r, initial.alpha, initial.a, initial.b].map(Math.log);
  let bestValue = objective(best);
  if (!Number.isFinite(bestValue)) {
    throw new RangeError("the log-likelihood is not finite at options.initial");
  }
  const xTol = Math.sqrt(tolerance);
  let iterations = 0;
  let evaluations = 1;
  let converged = false;
  let step = 1;
  while (iterations < maxIterations) {
    const run = nelderMead(objective, best, step, tolerance, xTol, maxIterations - iterations);
    iterations += run.iterations;
    evaluations += run.evaluations;
    const improvement = bestValue - run.value;
    if (run.value < bestValue) {
      best = run.best;
      bestValue = run.value;
    }
    if (run.converged && step < 1 && improvement <= tolerance) {
      converged = true;
      break;
    }
    step = 0.1;
  }
  const p = toParams(best);
  return {
    r: p.r,
    alpha: p.alpha,
    a: p.a,
    b: p.b,
    logLikelihood: -bestValue,
    customers: n,
    iterations,
    evaluations,
    converged,
  };
}

// ---------------------------------------------------------------------------------------------
// Predictions
// ---------------------------------------------------------------------------------------------

/** A new customer: no repeat purchase, observed for no time (the unconditional case). */
const NEW_CUSTOMER: BgNbdCustomer = { x: 0, tx: 0, T: 0 };

/**
 * ln of a/(b+x−1) · ((α+T)/(α+tx))^(r+x), the odds that a customer with x > 0 dropped out at
 * tx against being alive at T (−∞ when x = 0).
 */
function logOddsDead(p: BgNbdParams, c: BgNbdCustomer): number {
  if (c.x === 0) return -Infinity;
  return Math.log(p.a) - Math.log(p.b + c.x - 1) +
    (p.r + c.x) * Math.log1p((c.T - c.tx) / (p.alpha + c.tx));
}

/** P(alive) = 1 / (1 + e^u) and 1 − P(alive), without cancellation. */
function aliveAndDead(u: number): [number, number] {
  if (u === -Infinity) return [1, 0];
  if (u > 0) {
    const e = Math.exp(-u);
    return [e / (1 + e), 1 / (1 + e)];
  }
  const e = Math.exp(u);
  return [1 / (1 + e), e / (1 + e)];
}

/**
 * The probability that a customer with history (x, tx, T) is still active at T (the posterior
 * share of the "alive" term of the likelihood; Fader, Hardie & Lee's note "Computing P(alive)
 * Using the BG/NBD Model"):
 *
 * P(alive | x, tx, T) = 1 / (1 + δ_{x>0} · a/(b+x−1) · ((α+T)/(α+tx))^(r+x)).
 *
 * It is 1 for x = 0 (in the BG/NBD a customer can drop out only right after a repeat purchase),
 * and for x > 0 it falls as T grows with x, tx fixed. Computed on the log scale.
 *
 * @example
 * ```ts
 * import { probabilityAlive } from "./bgnbd.ts";
 * import { ok, equal } from "node:assert/strict";
 * const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
 * equal(probabilityAlive(params, { x: 0, tx: 0, T: 39 }), 1);
 * const recent = probabilityAlive(params, { x: 2, tx: 30, T: 39 });
 * const lapsed = probabilityAlive(params, { x: 2, tx: 5, T: 39 });
 * ok(lapsed < recent && recent < 1);
 * ```
 * @param params the model (or its parameters)
 * @param customer the history; times in the model's unit
 * @returns a probability in (0, 1]
 * @throws {RangeError} for invalid parameters or history
 */
export function probabilityAlive(params: BgNbdParams, customer: BgNbdCustomer): number {
  checkParams(params);
  checkCustomer(customer);
  return aliveAndDead(logOddsDead(params, customer))[0];
}

/**
 * E[Y(t) | x, tx, T]·(1 + δ_{x>0} odds), i.e. the expectation as if alive, for z = t/(α+T+t)
 * (valid inputs, t > 0). FHL eq. (10) reads, with R = r+x, B = b+x, C = a+b+x−1,
 *
 *   (C/(a−1)) · [1 − (1−z)^R · 2F1(R, B; C; z)].
 *
 * When a ≤ r + x + 2 the 2F1 series' terms would grow like n^(r+x−a) and the formula has a
 * removable 0/0 at a = 1, so Euler's transformation is applied first:
 * (1−z)^R 2F1(R, B; C; z) = (1−z)^(a−1) 2F1(A, a−1; C; z) with A = a+b−1−r, and the pole is
 * divided out term by term:
 *
 *   (C/(a−1)) [1 − (1−z)^(a−1)] − (1−z)^(a−1) H,  H = Σ_{n≥1} (A)_n (a)_{n−1} / ((C+1)_{n−1} n!) zⁿ,
 *
 * where (1 − (1−z)^(a−1))/(a−1) is −expm1((a−1) ln(1−z))/(a−1) (−ln(1−z) at a = 1). Otherwise
 * (a > r+x+2 > 2) the series of eq. (10) decays as it stands and is used directly, with
 * 1 − (1−z)^R 2F1 = −expm1(R ln(1−z) + log1p(2F1 − 1)).
 */
function expectedIfAlive(p: BgNbdParams, c: BgNbdCustomer, t: number): number {
  const { r, alpha, a, b } = p;
  const { x, T } = c;
  const z = t / (alpha + T + t);
  const ln1mz = -Math.log1p(t / (alpha + T));
  const C = a + b + x - 1;
  if (a > r + x + 2) {
    const R = r + x;
    const B = b + x;
    const tail = seriesTail((R * B * z) / C, R, B, C, z);
    return (C / (a - 1)) * -Math.expm1(R * ln1mz + Math.log1p(tail));
  }
  const s = a - 1;
  const phi = s === 0 ? -ln1mz : -Math.expm1(s * ln1mz) / s;
  const A = a + b - 1 - r;
  const H = seriesTail(A * z, A, a - 1, C, z);
  return C * phi - Math.exp(s * ln1mz) * H;
}

/**
 * The expected number of purchases in a period of length t.
 *
 * - Without `customer` (or with x = tx = T = 0): E[X(t)] for a randomly chosen new customer
 *   (FHL eq. 7), E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))].
 * - With a history (x, tx, T): E[Y(t) | x, tx, T], the purchases expected in (T, T+t]
 *   (FHL eq. 10), [(a+b+x−1)/(a−1)] · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1;
 *   t/(α+T+t))] / [1 + δ_{x>0} · a/(b+x−1) · ((α+T)/(α+tx))^(r+x)].
 *
 * The 2F1 is summed as a series (see {@link hyp2f1}); for a ≤ r+x+2 after Euler's
 * transformation, with the removable singularity of the closed form at a = 1 cancelled
 * analytically, so the result is finite and continuous for every a > 0. It is 0 at t = 0 and
 * increases with t.
 *
 * @example
 * ```ts
 * import { expectedPurchases } from "./bgnbd.ts";
 * import { ok, equal } from "node:assert/strict";
 * const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
 * equal(expectedPurchases(params, 0), 0);
 * const e39 = expectedPurchases(params, 39);
 * const e78 = expectedPurchases(params, 78);
 * ok(e39 > 0 && e78 > e39);
 * // A customer who bought often and recently is worth more than one who lapsed.
 * const active = expectedPurchases(params, 39, { x: 4, tx: 36, T: 39 });
 * const lapsed = expectedPurchases(params, 39, { x: 4, tx: 6, T: 39 });
 * ok(active > lapsed);
 * ```
 * @param params the model (or its parameters)
 * @param t the length of the period, in the model's time unit (finite, ≥ 0)
 * @param customer the history (default: a new customer, x = tx = T = 0)
 * @returns the expected number of purchases (transactions) in the period
 * @throws {RangeError} for invalid parameters, t or history, or when t/(α+T) is so large that
 *   the series does not converge (beyond about 10⁵)
 */
export function expectedPurchases(
  params: BgNbdParams,
  t: number,
  customer: BgNbdCustomer = NEW_CUSTOMER,
): number {
  checkParams(params);
  checkHorizon(t);
  checkCustomer(customer);
  if (t === 0) return 0;
  const alive = aliveAndDead(logOddsDead(params, customer))[0];
  return alive * expectedIfAlive(params, customer, t);
}

/** ln π_j of the negative binomial pmf π_j = Γ(R+j)/(Γ(R) j!) (1−w)^R w^j, w in (0, 1). */
function lnNbPmf(R: number, w: number, j: number): number {
  return lnGammaPositive(R + j) - lnGammaPositive(R) - lnGammaPositive(j + 1) +
    R * Math.log1p(-w) + j * Math.log(w);
}

/**
 * P(N ≥ n) for N ~ NB(R, w) (pmf π_j above), n ≥ 1, w in [0, 1). Below the mean it is
 * 1 − Σ_{j<n} π_j, the head summed downwards from π_{n−1}; above the mean the tail
 * Σ_{j≥n} π_j is summed upwards from π_n (no cancellation for small tails).
 */
function nbTail(R: number, w: number, n: number): number {
  if (w === 0) return 0;
  const mean = (R * w) / (1 - w);
  if (n <= mean) {
    const mode = R > 1 ? ((R - 1) * w) / (1 - w) : 0;
    let term = Math.exp(lnNbPmf(R, w, n - 1));
    let head = 0;
    for (let j = n - 1; j >= 0; j--) {
      head += term;
      if (j < mode && term <= SERIES_EPS * head * 1e-3) break;
      term *= j / ((R + j - 1) * w);
    }
    return Math.max(0, 1 - head);
  }
  // Σ_{j≥n} π_j = π_n · Σ_{j≥n} π_j/π_n, the ratios summed from 1 (π_n itself may underflow).
  let term = 1;
  let tail = 0;
  for (let j = n; j < n + SERIES_MAX_TERMS; j++) {
    tail += term;
    const ratio = ((R + j) * w) / (j + 1);
    const next = term * ratio;
    const bound = Math.max(ratio, w);
    if (next / (1 - bound) <= SERIES_EPS * tail) {
      return Math.min(1, Math.exp(lnNbPmf(R, w, n)) * (tail + next));
    }
    term = next;
  }
  throw new RangeError(`negative binomial tail did not converge (w = ${w}, too close to 1)`);
}

/** ln B(a, b+x+k) − ln B(a, b+x): the log-probability of surviving k more purchases, given x. */
function lnSurvive(p: BgNbdParams, x: number, k: number): number {
  if (k === 0) return 0;
  const bx = p.b + x;
  return lnGammaPositive(bx + k) - lnGammaPositive(bx) - lnGammaPositive(p.a + bx + k) +
    lnGammaPositive(p.a + bx);
}

/** Checks a purchase count (an integer ≥ 0) named `name`. */
function checkCount(v: number, name: string): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new RangeError(`${name} must be an integer ≥ 0, got ${String(v)}`);
  }
}

/**
 * The probability of at least n purchases in (T, T+t] for a customer with history (x, tx, T),
 * P(Y(t) ≥ n | x, tx, T); without `customer`, P(X(t) ≥ n) for a new customer.
 *
 * Derivation (the conditional pmf of the Fader–Hardie note "Deriving the Conditional PMF of the
 * BG/NBD model", summed in closed form): given λ and p and that the customer is alive at T, at
 * least n more purchases happen iff the n-th purchase of a rate-λ Poisson process falls in
 * (T, T+t] and the customer survives the n−1 purchases before it, with probability
 * (1−p)^(n−1) · P(Poisson(λt) ≥ n). Integrating over the posterior of (λ, p) given the history,
 *
 * P(Y(t) ≥ n | x, tx, T) = P(alive | x, tx, T) · B(a, b+x+n−1)/B(a, b+x) · P(N ≥ n),
 *
 * for n ≥ 1, where N ~ NB(r+x, w) with P(N = j) = Γ(r+x+j)/(Γ(r+x) j!) (1−w)^(r+x) w^j and
 * w = t/(α+T+t) (the Poisson count mixed over the gamma posterior of λ), and
 * B(a, b+x+n−1)/B(a, b+x) = Π_{i<n−1} (b+x+i)/(a+b+x+i) (surviving n−1 more purchases, over the
 * beta posterior of p). P(Y(t) ≥ 0) = 1. The tail P(N ≥ n) is summed directly when small, so
 * tiny probabilities keep their relative precision. Non-increasing in n.
 *
 * @example
 * ```ts
 * import { probabilityAtLeast } from "./bgnbd.ts";
 * import { ok, equal } from "node:assert/strict";
 * const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
 * const customer = { x: 3, tx: 30, T: 39 };
 * equal(probabilityAtLeast(params, 0, 39, customer), 1);
 * const p1 = probabilityAtLeast(params, 1, 39, customer);
 * const p2 = probabilityAtLeast(params, 2, 39, customer);
 * ok(p1 > p2 && p2 > 0 && p1 < 1);
 * ```
 * @param params the model (or its parameters)
 * @param n the number of purchases (an integer ≥ 0)
 * @param t the length of the period, in the model's time unit (finite, ≥ 0)
 * @param customer the history (default: a new customer, x = tx = T = 0)
 * @returns a probability in [0, 1]
 * @throws {RangeError} for invalid parameters, n, t or history
 */
export function probabilityAtLeast(
  params: BgNbdParams,
  n: number,
  t: number,
  customer: BgNbdCustomer = NEW_CUSTOMER,
): number {
  checkParams(params);
  checkCount(n, "n");
  checkHorizon(t);
  checkCustomer(customer);
  if (n === 0) return 1;
  if (t === 0) return 0;
  const { r, alpha } = params;
  const { x, T } = customer;
  const w = t / (alpha + T + t);
  const alive = aliveAndDead(logOddsDead(params, customer))[0];
  return alive * Math.exp(lnSurvive(params, x, n - 1)) * nbTail(r + x, w, n);
}

/**
 * The probability of exactly y purchases in (T, T+t] for a customer with history (x, tx, T),
 * P(Y(t) = y | x, tx, T) (the Fader–Hardie note "Deriving the Conditional PMF of the BG/NBD
 * model"); without `customer`, P(X(t) = y) for a new customer (FHL eq. 8). With the notation of
 * {@link probabilityAtLeast},
 *
 * P(Y(t) = y) = P(alive) · [B(a, b+x+y)/B(a, b+x) · P(N = y)
 *   + δ_{y>0} · B(a+1, b+x+y−1)/B(a, b+x) · P(N ≥ y)] + δ_{y=0} · (1 − P(alive)):
 *
 * alive at T, the customer makes y purchases and survives them all with no further purchase by
 * T+t, or drops out right after the y-th; dead at T, the customer makes none. It equals
 * P(Y ≥ y) − P(Y ≥ y+1), and Σ_y P(Y = y) = 1.
 *
 * @example
 * ```ts
 * import { probabilityAtLeast, probabilityPurchases } from "./bgnbd.ts";
 * import { ok } from "node:assert/strict";
 * const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
 * const customer = { x: 2, tx: 20, T: 39 };
 * let total = 0;
 * for (let y = 0; y < 200; y++) total += probabilityPurchases(params, y, 39, customer);
 * ok(Math.abs(total - 1) < 1e-12);
 * const p0 = probabilityPurchases(params, 0, 39, customer);
 * ok(Math.abs(p0 - (1 - probabilityAtLeast(params, 1, 39, customer))) < 1e-15);
 * ```
 * @param params the model (or its parameters)
 * @param y the number of purchases (an integer ≥ 0)
 * @param t the length of the period, in the model's time unit (finite, ≥ 0)
 * @param customer the history (default: a new customer, x = tx = T = 0)
 * @returns a probability in [0, 1]
 * @throws {RangeError} for invalid parameters, y, t or history
 */
export function probabilityPurchases(
  params: BgNbdParams,
  y: number,
  t: number,
  customer: BgNbdCustomer = NEW_CUSTOMER,
): number {
  checkParams(params);
  checkCount(y, "y");
  checkHorizon(t);
  checkCustomer(customer);
  if (t === 0) return y === 0 ? 1 : 0;
  const { r, alpha, a, b } = params;
  const { x, T } = customer;
  const R = r + x;
  const w = t / (alpha + T + t);
  const [alive, dead] = aliveAndDead(logOddsDead(params, customer));
  let ifAlive = Math.exp(lnSurvive(params, x, y) + lnNbPmf(R, w, y));
  if (y > 0) {
    const dropAfter = (a / (a + b + x + y - 1)) * Math.exp(lnSurvive(params, x, y - 1));
    ifAlive += dropAfter * nbTail(R, w, y);
  }
  return Math.min(1, alive * ifAlive + (y === 0 ? dead : 0));
}

// ---------------------------------------------------------------------------------------------
// Calibration summary
// ---------------------------------------------------------------------------------------------

/** One purchase of a purchase log. */
export interface BgNbdPurchase {
  /** The customer's id (compared with SameValueZero: the number 1 and the string "1" differ). */
  readonly customer: string | number;
  /** The purchase's calendar day: an ISO date `YYYY-MM-DD` or an integer day number. */
  readonly date: string | number;
}

/** The (x, tx, T) summary of a purchase log, one entry per customer. */
export interface BgNbdCalibration extends BgNbdData {
  /** Customer ids, in order of each customer's first appearance in the log. */
  readonly customers: (string | number)[];
  /** Repeat purchases: distinct purchase days in the calibration period, minus the first. */
  readonly x: number[];
  /** Time from the first purchase to the last purchase day in the calibration period. */
  readonly tx: number[];
  /** Time from the first purchase to the end of the calibration period. */
  readonly T: number[];
  /** Day number (days since 1970-01-01) of each customer's first purchase. */
  readonly firstDay: number[];
}

/** The day number of an ISO date or integer day, or a RangeError naming `what`. */
function dayOf(value: string | number, what: string): number {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new RangeError(`${what} must be an ISO date or an integer day number, got ${value}`);
    }
    return value;
  }
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const day = isoDay(value);
    if (dayIso(day) === value.slice(0, 10)) return day;
  }
  throw new RangeError(
    `${what} must be an ISO date (YYYY-MM-DD) or an integer day number, got "${String(value)}"`,
  );
}

/**
 * Summarises a purchase log into the BG/NBD's (x, tx, T) per customer for a calibration period
 * that ends at (and includes) the day `calibrationEnd`, as in FHL's CDNOW analysis: time is
 * counted from each customer's first purchase in units of `unit` days (weeks by default);
 * purchases are counted per day (several purchases on one day make one transaction), so x is the
 * number of distinct purchase days in the period minus one, tx the time from the first to the
 * last of them, and T the time from the first purchase to `calibrationEnd`. Purchases after
 * `calibrationEnd` are ignored, and so are customers whose first purchase falls after it. The
 * order of purchases in the log does not matter, except that customers are listed in order of
 * first appearance.
 *
 * @example
 * ```ts
 * import { summariseCalibration } from "./bgnbd.ts";
 * import { equal, deepEqual } from "node:assert/strict";
 * const summary = summariseCalibration([
 *   { customer: "A", date: "1997-01-01" },
 *   { customer: "A", date: "1997-01-15" },
 *   { customer: "A", date: "1997-01-15" }, // same day: one transaction
 *   { customer: "B", date: "1997-01-08" },
 *   { customer: "A", date: "1997-12-01" }, // after the calibration period
 * ], "1997-01-29");
 * deepEqual(summary.customers, ["A", "B"]);
 * deepEqual(summary.x, [1, 0]);
 * deepEqual(summary.tx, [2, 0]);
 * deepEqual(summary.T, [4, 3]);
 * equal(summary.firstDay[0], 9862);
 * ```
 * @param purchases the purchase log
 * @param calibrationEnd the last day of the calibration period (ISO date or integer day number)
 * @param unit days per time unit (a finite number > 0; default {@link DEFAULT_UNIT_DAYS} = 7)
 * @returns the summary, ready for {@link fitBgNbd}
 * @throws {RangeError} for an invalid unit, end or date (naming the purchase index), or a
 *   customer id that is not a string or a number
 */
export function summariseCalibration(
  purchases: readonly BgNbdPurchase[],
  calibrationEnd: string | number,
  unit: number = DEFAULT_UNIT_DAYS,
): BgNbdCalibration {
  if (typeof unit !== "number" || !Number.isFinite(unit) || !(unit > 0)) {
    throw new RangeError(`unit must be a finite number of days > 0, got ${String(unit)}`);
  }
  const end = dayOf(calibrationEnd, "calibrationEnd");
  const days = new Map<string | number, number[]>();
  for (let i = 0; i < purchases.length; i++) {
    const { customer, date } = purchases[i];
    if (typeof customer !== "string" && typeof customer !== "number") {
      throw new RangeError(`purchases[${i}].customer must be a string or a number`);
    }
    const day = dayOf(date, `purchases[${i}].date`);
    const list = days.get(customer);
    if (list === undefined) days.set(customer, [day]);
    else list.push(day);
  }
  const out = {
    customers: [] as (string | number)[],
    x: [] as number[],
    tx: [] as number[],
    T: [] as number[],
    firstDay: [] as number[],
  };
  // A Map iterates in insertion order: customers come out in order of first appearance.
  for (const [customer, all] of days) {
    let first = Infinity;
    for (const d of all) first = Math.min(first, d);
    if (first > end) continue;
    const inPeriod = [...new Set(all.filter((d) => d <= end))].sort((u, v) => u - v);
    const last = inPeriod[inPeriod.length - 1];
    out.customers.push(customer);
    out.x.push(inPeriod.length - 1);
    out.tx.push((last - first) / unit);
    out.T.push((end - first) / unit);
    out.firstDay.push(first);
  }
  return out;
}
