import assert from "node:assert/strict";
import { adjustedRandIndex } from "../../src/model/kmeans.ts";
import { segmentCustomers } from "../../src/model/segmentation.ts";
import { CONFIG, plantedCustomers } from "./fixtures.ts";

Deno.test("segmentCustomers: planted value groups recovered (ARI 1), named by value", () => {
  const { table: t, truth } = plantedCustomers(60, 1);
  const seg = segmentCustomers(t, CONFIG);
  assert.equal(seg.chosenK, 3);
  assert.deepEqual(seg.sweep.map((r) => r.k), [2, 3, 4, 5]);
  assert.equal(adjustedRandIndex(seg.clusters, truth), 1);
  // value order: the cluster index equals the planted value rank, whatever ml-kmeans numbered
  assert.deepEqual(seg.clusters, truth);
  assert.deepEqual(seg.names, ["Low value", "Mid value", "High value"]);
  for (let c = 1; c < 3; c++) assert.ok(seg.clusterValue[c]! > seg.clusterValue[c - 1]!);
  assert.deepEqual(seg.profile.map((p) => p.size), [60, 60, 60]);
  assert.ok(seg.profile[2].revenueShare! > 0.9);
  assert.equal(seg.profile[0].medianFrequency, 1);
  assert.deepEqual(seg.crosstab!.columns, ["Champions", "Hibernating", "Loyal"]);
  assert.deepEqual(seg.crosstab!.counts, [[0, 60, 0], [0, 0, 60], [60, 0, 0]]);
  assert.equal(seg.stability.mean, 1);
  assert.equal(seg.stability.min, 1);
  // raw centroids are in customer units: the VIP centroid's frequency is near 45
  const fi = seg.features.indexOf("frequency");
  assert.ok(Math.abs(seg.centroids.raw[2][fi] - 45) < 3);
  assert.equal(seg.centroids.standardized.length, 3);
  // configuration override
  const fixed = segmentCustomers(t, { ...CONFIG, kmeans: { ...CONFIG.kmeans, k: 2 } });
  assert.equal(fixed.chosenK, 2);
  assert.match(fixed.rule, /fixed by configuration/);
});

Deno.test("segmentCustomers is deterministic (byte-identical JSON)", () => {
  const { table: t } = plantedCustomers(40, 2);
  assert.equal(
    JSON.stringify(segmentCustomers(t, CONFIG)),
    JSON.stringify(segmentCustomers(t, CONFIG)),
  );
});

Deno.test("segmentCustomers: no crosstab without RFM segments; bad columns are named", () => {
  const { table: t } = plantedCustomers(20, 4);
  const bare = { customer_id: t.customer_id, columns: t.columns };
  assert.equal(segmentCustomers(bare, CONFIG).crosstab, null);
  const broken = { ...t, columns: { ...t.columns, monetary: [1, 2, 3] } };
  assert.throws(() => segmentCustomers(broken, CONFIG), /column "monetary" has 3 rows/);
});
