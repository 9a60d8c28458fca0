/**
 * Reading a saved model (`src/score/model_file.ts`): a good file gives a model that scores
 * exactly like the parsed JSON itself; every kind of damage is refused with a message naming the
 * key; the format version and the feature set are checked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../../src/lib/paths.ts";
import { checkFeatureSet, ModelFileError, parseModelFile } from "../../src/score/model_file.ts";
import { type LoyaltyModel, scoreCustomer } from "../../src/score/score.ts";
import { randomCustomer, rng, syntheticModel } from "./service.ts";

type Json = Record<string, unknown>;
const clone = (x: unknown) => JSON.parse(JSON.stringify(x)) as Json;

Deno.test("a good model file reads back to a model that scores like the file itself", () => {
  const json = syntheticModel();
  const { model, info } = parseModelFile(clone(json), "m.json");
  assert.equal(info.formatVersion, 1); // the synthetic model is a version-1 file
  assert.equal(info.dataset, "synthetic");
  assert.equal(info.trainingFingerprint, "synthetic-11");
  const r = rng(1);
  for (let i = 0; i < 50; i++) {
    const c = randomCustomer(r);
    assert.deepEqual(scoreCustomer(model, c), scoreCustomer(json as unknown as LoyaltyModel, c));
  }
  // no version field: read as version 1 (the current format)
  const { version: _v, ...unversioned } = clone(json);
  assert.equal(parseModelFile(unversioned).info.formatVersion, 1);
  // the metadata fields are optional
  const bare = clone(json);
  for (const k of ["dataset", "trainingFingerprint", "trainedOn", "libraries"]) delete bare[k];
  assert.deepEqual(parseModelFile(bare).info, {
    formatVersion: 1,
    dataset: null,
    trainingFingerprint: null,
    trainedOn: null,
    libraries: {},
  });
});

for (const dir of ["reports", "reports/cdnow"]) {
  const path = join(ROOT, dir, "model.json");
  const present = await Deno.stat(path).then(() => true, () => false);
  Deno.test({
    name: `the built model (${dir}/model.json) passes the checks`,
    ignore: !present,
    fn: async () => {
      const json = JSON.parse(await Deno.readTextFile(path));
      const { model, info } = parseModelFile(json, path);
      assert.equal(model.features.length, json.features.length);
      assert.equal(info.trainingFingerprint, json.trainingFingerprint);
    },
  });
}

/** Damage → the key and a fragment of the message. */
const DAMAGE: [string, (m: Json) => unknown, string, RegExp][] = [
  ["not an object", () => [1, 2], "", /expected an object, got an array/],
  ["another kind", (m) => ({ ...m, kind: "something-else" }), "kind", /not a loyalty model/],
  ["a newer format", (m) => ({ ...m, version: 3 }), "version", /format version 3 is not supported/],
  ["a string version", (m) => ({ ...m, version: "1" }), "version", /format version "1"/],
  ["no features", (m) => ({ ...m, features: [] }), "features", /at least 1/],
  [
    "an unknown feature",
    (m) => ({ ...m, features: ["shoe_size"] }),
    "features[0]",
    /unknown feature "shoe_size"/,
  ],
  [
    "a repeated feature",
    (m) => ({ ...m, features: ["frequency", "frequency"] }),
    "features",
    /"frequency" appears twice/,
  ],
  [
    "scaler names in another order",
    (m) => ({
      ...m,
      scaler: { ...(m.scaler as Json), names: [...(m.features as string[])].reverse() },
    }),
    "scaler.names",
    /in order/,
  ],
  [
    "a zero deviation",
    (m) => ({ ...m, scaler: { ...(m.scaler as Json), stds: [0, 1, 1, 1, 1] } }),
    "scaler.stds[0]",
    /positive/,
  ],
  [
    "a NaN mean (null in JSON)",
    (m) => ({ ...m, scaler: { ...(m.scaler as Json), means: [null, 0, 0, 0, 0] } }),
    "scaler.means[0]",
    /finite number, got null/,
  ],
  [
    "a short point",
    (m) => {
      (m.knn as { points: number[][] }).points[3] = [1, 2];
      return m;
    },
    "knn.points[3]",
    /expected 5 numbers/,
  ],
  [
    "a non-finite coordinate",
    (m) => {
      (m.knn as { points: unknown[][] }).points[2][1] = "x";
      return m;
    },
    "knn.points[2][1]",
    /finite number/,
  ],
  [
    "a label out of range",
    (m) => {
      (m.knn as { labels: number[] }).labels[0] = 3;
      return m;
    },
    "knn.labels[0]",
    /from 0 to 2/,
  ],
  [
    "labels of another length",
    (m) => {
      (m.knn as { labels: number[] }).labels.pop();
      return m;
    },
    "knn.labels",
    /expected 400 labels/,
  ],
  ["k = 0", (m) => ({ ...m, knn: { ...(m.knn as Json), k: 0 } }), "knn.k", /from 1/],
  [
    "a weighting typo",
    (m) => ({ ...m, knn: { ...(m.knn as Json), weighting: "distanc" } }),
    "knn.weighting",
    /"uniform" or "distance"/,
  ],
  [
    "classes ≠ levels",
    (m) => ({ ...m, knn: { ...(m.knn as Json), nClasses: 4 } }),
    "knn.nClasses",
    /expected 3/,
  ],
  [
    "ids of another length",
    (m) => ({ ...m, customerIds: ["a"] }),
    "customerIds",
    /expected 400 customer ids/,
  ],
  ["a bad cutoff", (m) => ({ ...m, cutoff: "01/02/2023" }), "cutoff", /ISO date/],
  [
    "no bands",
    (m) => ({ ...m, score: { ...(m.score as Json), bands: [] } }),
    "score.bands",
    /at least one band/,
  ],
  [
    "an inverted scale",
    (m) => ({ ...m, score: { ...(m.score as Json), max: 100 } }),
    "score.max",
    /must exceed/,
  ],
  ["no limits", (m) => ({ ...m, limits: null }), "limits", /expected an object/],
  [
    "a negative limit",
    (m) => ({ ...m, limits: { ...(m.limits as Json), maxDays: -1 } }),
    "limits.maxDays",
    /positive/,
  ],
];

for (const [what, damage, key, message] of DAMAGE) {
  Deno.test(`a model file with ${what} is refused, naming ${key || "the file"}`, () => {
    const damaged = damage(clone(syntheticModel()));
    assert.throws(
      () => parseModelFile(damaged, "/models/m.json"),
      (e) => {
        assert.ok(e instanceof ModelFileError);
        assert.equal(e.key, key);
        assert.match(e.message, /^\/models\/m\.json: /);
        assert.match(e.message, message);
        return true;
      },
    );
  });
}

Deno.test("the feature set check names the features missing on either side", () => {
  checkFeatureSet({ features: ["recency_days", "frequency"] }, ["frequency", "recency_days"]);
  assert.throws(
    () =>
      checkFeatureSet(
        { features: ["recency_days", "frequency", "monetary", "avg_order_value"] },
        ["recency_days", "frequency", "monetary", "tenure_days", "avg_order_value"],
        'the dataset description of "my-shop"',
        "reports/cdnow/model.json",
      ),
    (e) => {
      assert.ok(e instanceof ModelFileError);
      assert.match(e.message, /^reports\/cdnow\/model\.json: features: /);
      assert.match(e.message, /do not match the dataset description of "my-shop"/);
      assert.match(e.message, /the model lacks tenure_days/);
      return true;
    },
  );
  assert.throws(
    () => checkFeatureSet({ features: ["frequency", "tenure_days"] }, ["frequency"]),
    /the model also uses tenure_days/,
  );
});
