/**
 * Tests of the cancelled-order pool in pieces: the candidates of each part (`poolCandidates`, a
 * key-hash narrowing) made exact once over all parts (`exactPool`) are the pool of the whole
 * frame (`cancellationPool`), and the exact step drops a candidate whose key is no
 * cancellation's (what a hash collision lets through).
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  cancellationKeys,
  cancellationPool,
  exactPool,
  poolCandidates,
} from "../../src/clean/cancellations.ts";

/** Lines with keys over a few customers and codes, some dropped by a rule, some null keys. */
function lines(n: number): pl.DataFrame {
  const rows = Array.from({ length: n }, (_, i) => ({
    reason: i % 7 === 3 ? 4 : null,
    customer_id: i % 11 === 5 ? null : String(100 + (i % 5)),
    stock_code: `S${i % 3}`,
    quantity: 1 + (i % 4),
    unit_price: 1.25 * (1 + (i % 2)),
    timestamp: 1_000 + i,
    __i: i,
  }));
  return pl.DataFrame(rows).withColumns(pl.col("reason").cast(pl.UInt8));
}

/** The cancellations' keys: a few of the keys above, and one nobody has. */
function keys() {
  return cancellationKeys(pl.DataFrame([
    { customer_id: "100", stock_code: "S0", quantity: 1, unit_price: 1.25 },
    { customer_id: "102", stock_code: "S1", quantity: 3, unit_price: 1.25 },
    { customer_id: "104", stock_code: "S2", quantity: 2, unit_price: 2.5 },
    { customer_id: "999", stock_code: "S9", quantity: 9, unit_price: 9 },
  ]));
}

Deno.test("the candidates of parts, made exact once, are the whole frame's pool", () => {
  const df = lines(600);
  const k = keys();
  const whole = cancellationPool(df, k);
  assert.ok(whole.height > 10, `a pool of a few rows: ${whole.height}`);
  // Counted independently: the kept rows whose key is a cancellation's.
  const wanted = new Set(["100|S0|1|1.25", "102|S1|3|1.25", "104|S2|2|2.5", "999|S9|9|9"]);
  const expected = (df.toRecords() as Record<string, unknown>[])
    .filter((r) =>
      r.reason === null &&
      wanted.has(`${r.customer_id}|${r.stock_code}|${r.quantity}|${r.unit_price}`)
    )
    .map((r) => r.__i);
  assert.deepEqual(whole.getColumn("__i").toArray(), expected);
  // Parts cut anywhere, one of them a single line.
  const cuts = [0, 97, 250, 251, 600];
  const parts = cuts.slice(1).map((end, j) => poolCandidates(df.slice(cuts[j], end - cuts[j]), k));
  const inParts = exactPool(pl.concat(parts, { how: "vertical" }), k);
  assert.deepEqual(inParts.columns, whole.columns);
  assert.deepEqual(inParts.toRecords(), whole.toRecords());
});

Deno.test("exactPool drops a candidate whose key is no cancellation's", () => {
  const k = keys();
  const candidates = pl.DataFrame([
    { customer_id: "102", stock_code: "S1", quantity: 3, unit_price: 1.25, timestamp: 5, __i: 9 },
    // as a hash collision would let through: the same customer, another code
    { customer_id: "102", stock_code: "S2", quantity: 3, unit_price: 1.25, timestamp: 6, __i: 4 },
    { customer_id: "100", stock_code: "S0", quantity: 1, unit_price: 1.25, timestamp: 7, __i: 2 },
  ]);
  const pool = exactPool(candidates, k);
  // (in source order: by __i)
  assert.deepEqual(pool.getColumn("__i").toArray(), [2, 9]);
});
