/** `model.loyalty`: look-back features only, windows within the look-back, columns present, bounds. */
import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/errors.ts";
import { parseDataset } from "../../src/config/dataset.ts";

function dataset(loyalty: Record<string, unknown>, columns: Record<string, string> = {}) {
  return {
    id: "mini",
    files: [{
      name: "a.csv",
      format: "csv",
      columns: { customer_id: "c", timestamp: "t", quantity: "q", unit_price: "p", ...columns },
    }],
    model: { forward: { cutoff: "2011-01-01", windowEnd: "2012-01-01" }, loyalty },
  };
}

function throwsAt(loyalty: Record<string, unknown>, key: string, message: RegExp) {
  assert.throws(() => parseDataset(dataset(loyalty)), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.key, key);
    assert.match(e.message, message);
    return true;
  });
}

Deno.test("model.loyalty: features, windows, columns and bounds are checked", () => {
  throwsAt({ features: ["frequency"] }, "model.loyalty.features[0]", /not a look-back feature/);
  throwsAt({ features: ["invoices_365d"] }, "model.loyalty.features[0]", /365 days, more than/);
  throwsAt({ features: ["products_90d"] }, "model.loyalty.features[0]", /needs the stock_code/);
  throwsAt({ features: ["gap_days", "gap_days"] }, "model.loyalty.features[1]", /twice/);
  throwsAt({ lookbackDays: 10 }, "model.loyalty.lookbackDays", /at least 28/);
  throwsAt({ weightGrid: [0, 2] }, "model.loyalty.weightGrid", /must include 1/);
  throwsAt({ kGrid: [0, 5] }, "model.loyalty.kGrid", /whole numbers from 1/);
  throwsAt({ calibration: "platt" }, "model.loyalty.calibration", /"isotonic" or "none"/);
  throwsAt({ gbm: { depth: 9 } }, "model.loyalty.gbm.depth", /at most 6/);
  throwsAt({ snapshot: 2 }, "model.loyalty.snapshot", /unknown key/);
  const ok = parseDataset(
    dataset({ features: ["products_90d"], lookbackDays: 90 }, { stock_code: "s" }),
  );
  assert.deepEqual(ok.model.loyalty.features, ["products_90d"]);
  assert.equal(ok.model.loyalty.snapshots, 3); // default
});
