import assert from "node:assert/strict";
import { featureColumns, numericColumn, rfmSegments } from "../../src/model/customer_table.ts";

const TABLE = {
  customer_id: ["a", "b", "c"],
  columns: {
    frequency: [1, 2, 3],
    monetary: [10, Infinity, 30],
    short: [1, 2],
    text: ["x", "y", "z"],
    rfm_segment: ["Lost", "Loyal", "Lost"],
  },
};

Deno.test("numericColumn: present, one finite number per customer", () => {
  assert.deepEqual(numericColumn(TABLE, "frequency"), [1, 2, 3]);
  assert.throws(() => numericColumn(TABLE, "tenure_days"), /no column "tenure_days"/);
  assert.throws(() => numericColumn(TABLE, "short"), /"short" has 2 rows, expected 3/);
  assert.throws(() => numericColumn(TABLE, "monetary"), /"monetary" row 1 is not a finite number/);
  assert.throws(() => numericColumn(TABLE, "text"), /"text" row 0 is not a finite number/);
});

Deno.test("featureColumns: the checked columns by name, in the order asked", () => {
  const cols = featureColumns(TABLE, ["frequency"]);
  assert.deepEqual(cols, { frequency: [1, 2, 3] });
  assert.throws(() => featureColumns(TABLE, ["frequency", "monetary"]), /monetary/);
});

Deno.test("rfmSegments: the field first, then the column, else null; length checked", () => {
  assert.deepEqual(rfmSegments(TABLE), ["Lost", "Loyal", "Lost"]);
  assert.deepEqual(rfmSegments({ ...TABLE, rfm_segment: ["A", "B", "C"] }), ["A", "B", "C"]);
  assert.equal(rfmSegments({ customer_id: ["a"], columns: {} }), null);
  assert.throws(
    () => rfmSegments({ ...TABLE, rfm_segment: ["A"] }),
    /rfm_segment length mismatch/,
  );
});
