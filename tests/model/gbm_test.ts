import assert from "node:assert/strict";
import { fitGbm, predictGbm } from "../../src/model/gbm.ts";
import { createRng, normal } from "../../src/model/random.ts";
import { rocAuc } from "../../src/model/metrics.ts";

const OPTS = { rounds: 20, depth: 2, learningRate: 0.2, bins: 16, minLeaf: 5 };

function data(n: number, seed: number) {
  const rng = createRng(seed);
  const X = Array.from({ length: n }, () => [normal(rng), normal(rng), rng.next()]);
  const y = X.map((r) => (r[0] + 0.5 * r[1] + 0.3 * normal(rng) > 0.5 ? 2 : r[0] > -0.5 ? 1 : 0));
  return { X, y };
}

Deno.test("gbm: learns a noisy rule, probabilities sum to 1, deterministic", () => {
  const tr = data(600, 1);
  const te = data(300, 2);
  const m = fitGbm(tr.X, tr.y, 3, OPTS);
  const p = predictGbm(m, te.X);
  for (const q of p) assert.ok(Math.abs(q[0] + q[1] + q[2] - 1) < 1e-12);
  const auc = rocAuc(te.y.map((v) => v === 2), p.map((q) => q[2]))!;
  assert.ok(auc > 0.85, `AUC ${auc}`);
  assert.equal(JSON.stringify(fitGbm(tr.X, tr.y, 3, OPTS)), JSON.stringify(m));
});

Deno.test("gbm: invariant to a monotone transform of a feature (bins at quantiles)", () => {
  const tr = data(300, 3);
  const m1 = fitGbm(tr.X, tr.y, 3, OPTS);
  const m2 = fitGbm(tr.X.map((r) => [Math.exp(r[0]), r[1], r[2]]), tr.y, 3, OPTS);
  const q = [[0.3, -0.2, 0.5]];
  assert.deepEqual(predictGbm(m1, q), predictGbm(m2, [[Math.exp(0.3), -0.2, 0.5]]));
});

Deno.test("fitGbm gives bit-for-bit the trees and probabilities of the column-major version", async () => {
  // Digests recorded with the implementation before the row-major bins and the shared root
  // histogram counts (a speed-up that must change no sum): any change of a split, a leaf value or
  // a probability, to the last bit, changes them.
  const { createHash } = await import("node:crypto");
  const digest = (x: unknown) => createHash("sha256").update(JSON.stringify(x)).digest("hex");
  const rng = createRng(7);
  const X = Array.from(
    { length: 400 },
    () => [rng.int(6), rng.next() * 10, rng.int(3) + rng.next(), rng.int(40)],
  );
  const y = X.map((r) => (r[0] + r[1] / 3 + rng.next() * 2 > 5 ? 2 : r[3] > 20 ? 1 : 0));
  const m = fitGbm(X, y, 3, { rounds: 8, depth: 3, learningRate: 0.1, bins: 16, minLeaf: 5 });
  assert.equal(digest(m), "3eb67f1d7b991b1c596aedd361190ceb05b1aab3265975e6e08f1c8556f46092");
  assert.equal(
    digest(predictGbm(m, X.slice(0, 50))),
    "e122f6af97dddeab7e6ae7ee1ec16afc817032572991fe059c986dd42467831c",
  );
});

Deno.test("fitGbm: shared scores of equal-bin rows and sums-only last level change no bit", async () => {
  // Digests recorded with the implementation before rows with the same bins shared one score
  // and softmax, nodes were ranges of one row order, and the last level's children kept their
  // sums only: depth 1 (the root's children are the last level), a deep tree, and a minLeaf that
  // stops splits early; many rows share their bins.
  const { createHash } = await import("node:crypto");
  const digest = (x: unknown) => createHash("sha256").update(JSON.stringify(x)).digest("hex");
  const rng = createRng(23);
  const X = Array.from({ length: 500 }, () => [
    rng.int(4),
    rng.int(3) * 2.5,
    rng.next() < 0.5 ? 0 : rng.next() * 5,
    rng.int(50),
  ]);
  const y = X.map((r) => (r[0] + r[1] / 2 + rng.next() * 3 > 4 ? 2 : r[3] > 25 ? 1 : rng.int(2)));
  const cases: [typeof OPTS, string, string][] = [
    [
      { rounds: 6, depth: 1, learningRate: 0.3, bins: 8, minLeaf: 3 },
      "bcced3966c11d6ed8c8b26e9a904fcee22a233a34b005e9f17cecbc63f1cc47f",
      "639765a8a8f836a16c5f0011911aa89008d2805375ab000374ea1c1bc2093cb8",
    ],
    [
      { rounds: 5, depth: 4, learningRate: 0.2, bins: 32, minLeaf: 10 },
      "af5d0b5d20daee73f0382e4591e7f306a53699a64a08b23667b179b1e33ed53d",
      "23a70c265433b19c8276233c46f62ac5cf4aad3bb086af1824881eca018f0db6",
    ],
    [
      { rounds: 4, depth: 3, learningRate: 0.1, bins: 16, minLeaf: 200 },
      "2e2f6e71fc903811fd0b536520a6fb9f650a20532a90deeb6c04e8c5f1f16f16",
      "0239d4e033cf6602dd02a209961e8ec5bd4903ffa073bb9f74ad9bd764efb2a4",
    ],
  ];
  for (const [opts, model, probs] of cases) {
    const m = fitGbm(X, y, 3, opts);
    assert.equal(digest(m), model, JSON.stringify(opts));
    assert.equal(digest(predictGbm(m, X.slice(0, 80))), probs, JSON.stringify(opts));
  }
});
