/**
 * The rows of the loyalty model: one per (snapshot, customer), split by customer so that no
 * customer is on both sides — the held-out customers are drawn (stratified) among the latest
 * snapshot's customers, and every row of a held-out customer, in any snapshot, is kept out of
 * training; cross-validation folds group the training rows by customer the same way.
 *
 * @module
 */

import type { CustomerFeatures } from "./customer_table.ts";
import { numericColumn } from "./customer_table.ts";
import { createRng, deriveSeed, shuffle } from "./random.ts";
import { type Fold, stratifiedKFold, stratifiedSplit } from "./split.ts";

/** One snapshot: features as of a cutoff, and what followed. */
export interface LoyaltySnapshot {
  /** The cutoff (reference date of the features). */
  cutoff: string;
  /** Customers with a purchase before the cutoff and their look-back features. */
  features: CustomerFeatures;
  /** Level index per customer in the outcome window. */
  labels: readonly number[];
  /** Level index implied by the customer's RFM segment at the cutoff. */
  persistence: readonly number[];
  /** BG/NBD summary per customer (whole history before the cutoff, weeks). */
  bgnbd: { x: readonly number[]; tx: readonly number[]; T: readonly number[] };
}

/** All rows of all snapshots, as columns. */
export interface LoyaltyRows {
  /** Candidate feature columns. */
  columns: Record<string, number[]>;
  /** Level per row. */
  labels: number[];
  /** Customer id per row. */
  customer: string[];
  /** Snapshot index per row (0 = the latest). */
  snapshot: number[];
  /** Row within its snapshot. */
  position: number[];
}

/** The customer split and the folds. */
export interface LoyaltySplit {
  /** Latest-snapshot positions of the held-out customers (sorted). */
  testPositions: number[];
  /** Latest-snapshot positions of the training customers (sorted). */
  trainPositions: number[];
  /** Rows (all snapshots) of training customers, in row order. */
  trainRows: number[];
  /** Rows of the held-out customers in the latest snapshot, in their order. */
  testRows: number[];
  /** Cross-validation folds over the training rows, grouped by customer. */
  folds: { train: number[]; validation: number[] }[];
}

/**
 * Stacks the snapshots into rows (latest snapshot first, each in its customer order).
 *
 * @example
 * ```ts
 * import { stackSnapshots } from "./loyalty_data.ts";
 * import { deepEqual } from "node:assert/strict";
 * const snap = (cutoff: string, ids: string[], x: number[], labels: number[]) => ({
 *   cutoff,
 *   features: { customer_id: ids, columns: { x } },
 *   labels,
 *   persistence: labels,
 *   bgnbd: { x: [], tx: [], T: [] },
 * });
 * const rows = stackSnapshots([snap("2011-01-01", ["a", "b"], [1, 2], [2, 0]), snap("2010-10-01", ["a"], [5], [1])], ["x"]);
 * deepEqual(rows.customer, ["a", "b", "a"]);
 * deepEqual(rows.snapshot, [0, 0, 1]);
 * deepEqual(rows.columns.x, [1, 2, 5]);
 * deepEqual(rows.labels, [2, 0, 1]);
 * ```
 *
 * @param snapshots the snapshots, latest first
 * @param features candidate features (columns of every snapshot)
 */
export function stackSnapshots(
  snapshots: readonly LoyaltySnapshot[],
  features: readonly string[],
): LoyaltyRows {
  const rows: LoyaltyRows = {
    columns: Object.fromEntries(features.map((f) => [f, [] as number[]])),
    labels: [],
    customer: [],
    snapshot: [],
    position: [],
  };
  snapshots.forEach((s, si) => {
    const n = s.features.customer_id.length;
    if (s.labels.length !== n) {
      throw new Error(`snapshot ${s.cutoff}: ${s.labels.length} labels for ${n} customers`);
    }
    for (const f of features) {
      const col = numericColumn(s.features, f);
      for (let i = 0; i < n; i++) rows.columns[f].push(col[i]);
    }
    for (let i = 0; i < n; i++) {
      rows.labels.push(s.labels[i]);
      rows.customer.push(s.features.customer_id[i]);
      rows.snapshot.push(si);
      rows.position.push(i);
    }
  });
  return rows;
}

/**
 * Splits the customers (stratified by their latest level, seeded) and builds folds grouped by
 * customer over the training rows: each fold trains on every snapshot's rows of its training
 * customers and validates on the latest snapshot's rows of the others — the population closest
 * to today's, on which choices (weights, k, calibration, decision weights) are judged.
 *
 * @example
 * ```ts
 * import { splitByCustomer, stackSnapshots } from "./loyalty_data.ts";
 * import { equal, ok } from "node:assert/strict";
 * const ids = Array.from({ length: 40 }, (_, i) => `c${i}`);
 * const snap = (cutoff: string) => ({
 *   cutoff,
 *   features: { customer_id: ids, columns: { x: ids.map((_, i) => i) } },
 *   labels: ids.map((_, i) => i % 3),
 *   persistence: ids.map(() => 0),
 *   bgnbd: { x: [], tx: [], T: [] },
 * });
 * const rows = stackSnapshots([snap("2011-01-01"), snap("2010-10-01")], ["x"]);
 * const s = splitByCustomer(rows, 0.25, 4, 7);
 * equal(s.testRows.length, 10); // a quarter of the latest snapshot's customers
 * equal(s.trainRows.length, 60); // the other 30 customers, in both snapshots
 * const test = new Set(s.testRows.map((r) => rows.customer[r]));
 * ok(s.trainRows.every((r) => !test.has(rows.customer[r]))); // nobody on both sides
 * for (const f of s.folds) {
 *   const v = new Set(f.validation.map((r) => rows.customer[r]));
 *   ok(f.train.every((r) => !v.has(rows.customer[r]))); // folds grouped by customer
 *   ok(f.validation.every((r) => rows.snapshot[r] === 0)); // validated on the latest snapshot
 * }
 * ```
 *
 * @param rows the stacked rows
 * @param testShare share of the latest snapshot's customers held out
 * @param folds number of cross-validation folds
 * @param seed the stage's seed (the split uses it directly, the folds `deriveSeed(seed, "cv")`)
 */
export function splitByCustomer(
  rows: LoyaltyRows,
  testShare: number,
  folds: number,
  seed: number,
): LoyaltySplit {
  const latest: number[] = [];
  rows.snapshot.forEach((s, r) => s === 0 && latest.push(r));
  const split = stratifiedSplit(latest.map((r) => rows.labels[r]), testShare, seed);
  const testIds = new Set(split.test.map((p) => rows.customer[latest[p]]));
  const trainRows: number[] = [];
  rows.customer.forEach((c, r) => !testIds.has(c) && trainRows.push(r));
  return {
    testPositions: split.test,
    trainPositions: split.train,
    trainRows,
    testRows: split.test.map((p) => latest[p]),
    folds: groupedFolds(rows, trainRows, folds, deriveSeed(seed, "cv"), true),
  };
}

/**
 * Folds of the given rows grouped by customer: the customers (in order of first row) are dealt
 * into stratified folds by the level of their first row (their latest snapshot).
 *
 * @param rows the stacked rows
 * @param subset rows to fold
 * @param folds number of folds
 * @param seed seed of the deal
 * @param validateLatest validate on the latest snapshot's rows only (a fold still trains on
 *   every snapshot's rows of its training customers)
 */
export function groupedFolds(
  rows: LoyaltyRows,
  subset: readonly number[],
  folds: number,
  seed: number,
  validateLatest = false,
): { train: number[]; validation: number[] }[] {
  const customers: string[] = [];
  const firstLabel: number[] = [];
  const index = new Map<string, number>();
  for (const r of subset) {
    const c = rows.customer[r];
    if (!index.has(c)) {
      index.set(c, customers.length);
      customers.push(c);
      firstLabel.push(rows.labels[r]);
    }
  }
  const customerFolds: Fold[] = stratifiedKFold(firstLabel, folds, seed);
  const foldOf = new Int32Array(customers.length);
  customerFolds.forEach((f, k) => f.validation.forEach((i) => (foldOf[i] = k)));
  return customerFolds.map((_, k) => {
    const train: number[] = [];
    const validation: number[] = [];
    for (const r of subset) {
      if (foldOf[index.get(rows.customer[r])!] !== k) train.push(r);
      else if (!validateLatest || rows.snapshot[r] === 0) validation.push(r);
    }
    return { train, validation };
  });
}

/**
 * A sample of the rows, whole customers at a time: customers in a seeded random order are taken
 * until at least `maxRows` rows are in (all rows when there are fewer); rows stay in row order.
 *
 * @example
 * ```ts
 * import { sampleCustomers } from "./loyalty_data.ts";
 * import { equal, ok } from "node:assert/strict";
 * const rows = { customer: ["a", "b", "a", "c", "b"] } as never;
 * const s = sampleCustomers(rows, [0, 1, 2, 3, 4], 3, 1);
 * ok(s.length >= 3 && s.length <= 4);
 * equal(sampleCustomers(rows, [0, 1, 2, 3, 4], 10, 1).length, 5);
 * ```
 *
 * @param rows the stacked rows (customer per row)
 * @param subset the rows to sample from
 * @param maxRows the rows wanted
 * @param seed the seed
 */
export function sampleCustomers(
  rows: Pick<LoyaltyRows, "customer">,
  subset: readonly number[],
  maxRows: number,
  seed: number,
): number[] {
  if (subset.length <= maxRows) return [...subset];
  const byCustomer = new Map<string, number[]>();
  for (const r of subset) {
    const c = rows.customer[r];
    const list = byCustomer.get(c);
    if (list) list.push(r);
    else byCustomer.set(c, [r]);
  }
  const order = shuffle([...byCustomer.keys()], createRng(seed));
  const picked: number[] = [];
  for (const c of order) {
    if (picked.length >= maxRows) break;
    picked.push(...byCustomer.get(c)!);
  }
  return picked.sort((a, b) => a - b);
}
