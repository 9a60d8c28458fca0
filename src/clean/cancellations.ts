/**
 * Rule 9, `cancelled_order`: a purchase line that a later cancellation of the same customer
 * reverses exactly (same stock code, quantity and unit price; the latest such purchase at or
 * before the cancellation) is dropped, so monetary value is net of cancelled orders. Each
 * purchase is reversed by at most one cancellation. Cancellation lines that reverse no purchase
 * (partial returns, returns of older purchases) are not netted; their count and value are
 * reported as unmatched returns.
 *
 * Cancellation lines are exactly the lines the `cancellation` rule marked, under the dataset's
 * configured definition (`cleaning.cancellation`: an invoice prefix, a pattern, a negative
 * quantity; see `lineRuleCondition` in `rules.ts`), so both rules always agree on what a
 * cancellation is. With the cancellation rule off, this rule does not run.
 *
 * @module
 */
import pl from "nodejs-polars";
import { flagSeries, markReason, reasonIs } from "./rules.ts";

/** A number of lines and their total value (in the dataset's currency, positive). */
export interface LinesValue {
  lines: number;
  value: number;
}

/** What {@link dropCancelledOrders} did. */
export interface CancellationOutcome {
  /** The frame with `reason` set to `cancelled_order` on reversed purchases. */
  df: pl.DataFrame;
  /** Purchase lines dropped as cancelled orders, and their value. */
  cancelledOrders: LinesValue;
  /** Cancellation lines that reversed no purchase exactly, and their value. */
  unmatchedReturns: LinesValue;
}

/** The columns that must be equal for a cancellation to reverse a purchase. */
const KEYS = ["customer_id", "stock_code", "quantity", "unit_price"];

/**
 * The columns the rules over other lines read, besides `reason`: the cancelled-order rule's key,
 * timestamp and line value (the extreme-value rule reads the line value).
 */
export const SET_RULE_COLUMNS: readonly string[] = [...KEYS, "timestamp", "line_value"];

/** Multiplier of the key hash (the 64-bit FNV prime): hash = hash × it + the next column's. */
const KEY_HASH_MULTIPLIER = 1099511628211;

/**
 * One 64-bit hash of the {@link KEYS} of a row (each column in one type on both sides, so that
 * equal keys hash equal): equal keys give equal hashes, so the rows whose hash is among the
 * cancellations' hold every purchase sharing a key with one (and, on a hash collision, a few
 * more, which the exact join after removes).
 */
function keyHash(): pl.Expr {
  const types = [pl.Utf8, pl.Utf8, pl.Int64, pl.Float64];
  let hash: pl.Expr = pl.lit(0).cast(pl.UInt64);
  for (const [i, c] of KEYS.entries()) {
    hash = hash.mul(pl.lit(KEY_HASH_MULTIPLIER).cast(pl.UInt64))
      .add(pl.col(c).cast(types[i]).hash(i + 1).cast(pl.UInt64));
  }
  return hash;
}

/**
 * Matches cancellation lines (the `cancellation` rule, as configured) to the purchases they
 * reverse and drops those purchases.
 *
 * @param df the frame from `applyRowRules` (`reason` set by rules 1–8, row position `__i`)
 * @param matchOrders whether the `cancelled_order` rule runs; when not, every cancellation line
 *   with a customer and a timestamp counts as an unmatched return
 */
export function dropCancelledOrders(df: pl.DataFrame, matchOrders: boolean): CancellationOutcome {
  const cancels = cancellationLines(df);
  if (!matchOrders || cancels.height === 0) {
    const none = noOrderMatched(cancels);
    return {
      df,
      cancelledOrders: { lines: 0, value: 0 },
      unmatchedReturns: { lines: none.unmatchedLines, value: none.unmatchedValue },
    };
  }
  const pool = cancellationPool(df, cancellationKeys(cancels));
  const match = matchCancelledOrders(cancels, pool);
  const unmatchedReturns = { lines: match.unmatchedLines, value: match.unmatchedValue };
  if (match.matched.size === 0) {
    return { df, cancelledOrders: { lines: 0, value: 0 }, unmatchedReturns };
  }
  const out = markReason(
    df.withColumns(flagSeries("__m", df.height, match.matched)),
    "cancelled_order",
    pl.col("__m"),
  ).drop("__m");
  // The value is summed over the lines in one piece, in source order: polars adds a column piece
  // by piece (pieces of the source files, or of a filter split between threads), so other pieces
  // would change the last digits of the report. The positions of the frame are its `__i`.
  const values = cancelledValues(out.getColumn("line_value"), match.matched);
  return {
    df: out,
    cancelledOrders: { lines: values.length, value: values.length ? Number(values.sum()) : 0 },
    unmatchedReturns,
  };
}

/**
 * The line values of the cancelled orders, in one piece and in source order (their sum is the
 * report's cancelled value, and its last digits depend on the order and the pieces).
 *
 * @param lineValue the `line_value` of the lines (or of a part of them)
 * @param positions the positions of the cancelled orders in `lineValue`
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { cancelledValues } from "./cancellations.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(cancelledValues(pl.Series("line_value", [1.5, 2, 4]), new Set([2, 0])).toArray(),
 *   [1.5, 4]);
 * ```
 */
export function cancelledValues(lineValue: pl.Series, positions: Iterable<number>): pl.Series {
  return lineValue.gather([...positions].sort((a, b) => a - b)).rechunk();
}

/**
 * The keys ({@link KEYS}) of the cancellation lines, as {@link cancellationPool} looks them up:
 * made once for all the files of a run in parts (made per file, they cost 1.6 s of the
 * cancelled orders' pass at 10×).
 */
export interface CancellationKeys {
  /** The distinct 64-bit hashes of the keys (`keyHash`). */
  hashes: pl.Series;
  /** The distinct keys. */
  keys: pl.DataFrame;
}

/**
 * The keys of the cancellation lines, for {@link cancellationPool}.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { cancellationKeys } from "./cancellations.ts";
 * import { equal } from "node:assert/strict";
 * const cancels = pl.DataFrame({
 *   customer_id: ["1", "1", "2"],
 *   stock_code: ["A", "A", "A"],
 *   quantity: [3, 3, 3],
 *   unit_price: [1.5, 1.5, 1.5],
 * });
 * const { hashes, keys } = cancellationKeys(cancels);
 * equal(keys.height, 2); // two lines of customer 1 share a key
 * equal(hashes.length, 2);
 * ```
 *
 * @param cancels the cancellation lines of all rows ({@link cancellationLines})
 */
export function cancellationKeys(cancels: pl.DataFrame): CancellationKeys {
  return {
    hashes: cancels.select(keyHash().alias("__k")).unique().getColumn("__k"),
    keys: cancels.select(...KEYS).unique(),
  };
}

/**
 * The purchases of `df` that a cancellation could reverse: the rows no rule dropped whose key
 * ({@link KEYS}) equals some cancellation's, with the keys, `timestamp` and `__i`, in source
 * order ({@link poolCandidates}, then {@link exactPool}).
 *
 * @param df rows from `applyRowRules` (`reason`, `__i` and the key columns)
 * @param keys the keys of the cancellation lines of all rows ({@link cancellationKeys})
 */
export function cancellationPool(df: pl.DataFrame, keys: CancellationKeys): pl.DataFrame {
  return exactPool(poolCandidates(df, keys), keys);
}

/**
 * The rows of `df` that may be in the pool ({@link cancellationPool}): the rows no rule dropped
 * whose key hashes to a cancellation's, with the keys, `timestamp` and `__i`, in source order.
 * They hold every purchase sharing a key with a cancellation and, on a hash collision, a few
 * more, which {@link exactPool} removes. A frame of some rows of the lines (a part of a run in
 * parts) gives those rows' candidates; the candidates of all parts, concatenated, give the pool
 * through one {@link exactPool}.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { cancellationKeys, exactPool, poolCandidates } from "./cancellations.ts";
 * import { deepEqual } from "node:assert/strict";
 * const key = { stock_code: "A", quantity: 3, unit_price: 1.5 };
 * const keys = cancellationKeys(pl.DataFrame([{ customer_id: "1", ...key }]));
 * const lines = pl.DataFrame([
 *   { reason: null, customer_id: "1", ...key, timestamp: 1, __i: 0 },
 *   { reason: null, customer_id: "2", ...key, timestamp: 2, __i: 1 }, // another customer
 *   { reason: 4, customer_id: "1", ...key, timestamp: 3, __i: 2 }, // dropped by a rule
 *   { reason: null, customer_id: "1", ...key, timestamp: 4, __i: 3 },
 * ]);
 * const pool = exactPool(poolCandidates(lines, keys), keys);
 * deepEqual(pool.getColumn("__i").toArray(), [0, 3]);
 * ```
 *
 * @param df rows from `applyRowRules` (`reason`, `__i` and the key columns)
 * @param keys the keys of the cancellation lines of all rows ({@link cancellationKeys})
 */
export function poolCandidates(df: pl.DataFrame, keys: CancellationKeys): pl.DataFrame {
  // Only purchases sharing a key with some cancellation can match: the pool is narrowed to them
  // by the 64-bit hash of the key (a join on one number; a join on the text keys of every line
  // costs far more, and more than linearly). Only those rows are copied. Every line is hashed,
  // and the lines already dropped leave after: an expression reading `reason` (one piece) beside
  // the key columns (one piece per file) would join the pieces of the text columns.
  const hashes = df.select(keyHash().alias("__k")).getColumn("__k");
  // (a membership test gives the positions in order: four times faster than a join and a sort)
  const at = (hashes.isIn(keys.hashes).argTrue().toArray() as (number | bigint)[]).map(Number);
  return pl.DataFrame(
    ["reason", ...KEYS, "timestamp", "__i"].map((c) => df.getColumn(c).gather(at)),
  )
    .filter(pl.col("reason").isNull())
    .drop("reason");
}

/**
 * The pool among candidates ({@link poolCandidates}): exactly the rows whose key is a
 * cancellation's (a join, which also drops null keys), sorted by `__i`. Run once on the
 * candidates of all parts: each join builds a table of the cancellations' keys (at 10×, 60 k
 * keys: 35 ms a part, 1.4 s over a run's 41 parts).
 *
 * @param candidates rows from {@link poolCandidates}, of one frame or of several, concatenated
 * @param keys the keys of the cancellation lines of all rows ({@link cancellationKeys})
 */
export function exactPool(candidates: pl.DataFrame, keys: CancellationKeys): pl.DataFrame {
  return candidates.join(keys.keys, { on: KEYS, how: "semi" }).sort("__i");
}

/** What the cancelled-order rule decided: the purchases reversed, the returns reversing none. */
export interface OrderMatch {
  /** The `__i` of the reversed purchases. */
  matched: Set<number>;
  /** Cancellation lines that reversed no purchase, and their value (positive). */
  unmatchedLines: number;
  unmatchedValue: number;
}

/**
 * The outcome when no order is matched (the rule off, or no cancellation line): every
 * cancellation line is an unmatched return.
 *
 * @param cancels the cancellation lines ({@link cancellationLines}), or null when the
 *   cancellation rule is off
 */
export function noOrderMatched(cancels: pl.DataFrame | null): OrderMatch {
  return {
    matched: new Set<number>(),
    unmatchedLines: cancels?.height ?? 0,
    unmatchedValue: cancels ? -Number(cancels.getColumn("line_value").sum() ?? 0) : 0,
  };
}

/**
 * The cancellation lines that can reverse a purchase (a customer and a timestamp), with the
 * quantity sign flipped so that they carry the purchase's key, sorted by timestamp, with an id
 * `__c`.
 */
export function cancellationLines(df: pl.DataFrame): pl.DataFrame {
  return df.select("reason", ...SET_RULE_COLUMNS)
    .filter(reasonIs(df, "cancellation").and(pl.col("customer_id").isNotNull()))
    .select(
      pl.col("customer_id"),
      pl.col("stock_code"),
      pl.lit(0).sub(pl.col("quantity")).cast(pl.Int64).alias("quantity"),
      pl.col("unit_price"),
      pl.col("timestamp"),
      pl.col("line_value"),
    )
    .filter(pl.col("timestamp").isNotNull())
    .sort("timestamp")
    .withRowIndex("__c");
}

/**
 * One-to-one matching of cancellations to purchases: each cancellation takes the latest purchase
 * with the same key at or before it that no earlier-processed cancellation has taken. Runs
 * as-of joins in rounds: when several cancellations land on one purchase, the earliest
 * cancellation keeps it and the others look again among the remaining purchases.
 *
 * The rule's decision ({@link dropCancelledOrders} marks the purchases; a run in parts matches
 * over the pools of all its files).
 *
 * @param cancels cancellation lines ({@link cancellationLines}: key columns with positive
 *   quantity, timestamp, line_value, `__c` id), sorted by timestamp
 * @param purchases candidate purchase lines ({@link cancellationPool}: key columns, timestamp,
 *   `__i`), in source order
 */
export function matchCancelledOrders(cancels: pl.DataFrame, purchases: pl.DataFrame): OrderMatch {
  const matched = new Set<number>();
  const winners: number[] = [];
  let pending = cancels;
  let pool = purchases.sort("timestamp");
  for (let round = 0; round < 100 && pending.height > 0; round++) {
    const joined = pending.joinAsof(pool, {
      on: "timestamp",
      by: KEYS,
      strategy: "backward",
      checkSortedness: false,
    });
    const c = Array.from(joined.getColumn("__c").toArray() as (number | bigint)[], Number);
    const p = joined.getColumn("__i").toArray() as (number | bigint | null)[];
    const order = c.map((_, j) => j).sort((x, y) => c[x] - c[y]); // earliest cancellation first
    const losers: number[] = [];
    const taken: number[] = [];
    for (const j of order) {
      if (p[j] === null) continue;
      const pi = Number(p[j]);
      if (matched.has(pi)) losers.push(c[j]);
      else {
        matched.add(pi);
        taken.push(pi);
        winners.push(c[j]);
      }
    }
    if (losers.length === 0) break;
    pool = pool.join(pl.DataFrame({ __i: pl.Series("__i", taken, pl.Int64) }), {
      on: "__i",
      how: "anti",
    })
      .sort("timestamp");
    pending = pending.join(pl.DataFrame({ __c: pl.Series("__c", losers, pl.UInt32) }), {
      on: "__c",
      how: "semi",
    })
      .sort("timestamp");
  }
  const won = pl.DataFrame({ __c: pl.Series("__c", winners, pl.UInt32) });
  const unmatched = cancels.join(won, { on: "__c", how: "anti" });
  return {
    matched,
    unmatchedLines: unmatched.height,
    unmatchedValue: unmatched.height ? -Number(unmatched.getColumn("line_value").sum()) : 0,
  };
}
