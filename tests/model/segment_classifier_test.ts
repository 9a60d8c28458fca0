import assert from "node:assert/strict";
import { fitSegmentClassifier } from "../../src/model/segment_classifier.ts";
import { segmentCustomers } from "../../src/model/segmentation.ts";
import { CONFIG, plantedCustomers } from "./fixtures.ts";

Deno.test("fitSegmentClassifier: KNN reproduces well-separated segments", () => {
  const { table: t } = plantedCustomers(60, 3);
  const seg = segmentCustomers(t, CONFIG);
  const clf = fitSegmentClassifier(t, seg, CONFIG);
  assert.deepEqual(clf.classes, seg.names);
  assert.equal(clf.split.train + clf.split.test, 180);
  assert.equal(clf.split.test, 45);
  assert.equal(clf.test.accuracy, 1);
  assert.equal(clf.test.macroF1, 1);
  assert.deepEqual(clf.test.confusion, [[15, 0, 0], [0, 15, 0], [0, 0, 15]]);
  assert.deepEqual(clf.test.perClass.map((c) => c.name), seg.names);
  assert.equal(clf.tuning.curve.length, 6);
});

Deno.test("fitSegmentClassifier rejects clusters that do not match the table", () => {
  const { table: t } = plantedCustomers(10, 3);
  assert.throws(
    () => fitSegmentClassifier(t, { clusters: [0, 1], names: ["a", "b"] }, CONFIG),
    /clusters length mismatch/,
  );
});
