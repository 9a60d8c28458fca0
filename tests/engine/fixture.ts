/**
 * The small transaction dataset the engine tests describe: one CSV `tx.csv` with short column
 * names, a first-half-of-2011 outcome window; each test changes what it needs.
 */
import type { DatasetConfig } from "../../src/config/dataset.ts";
import { parseDataset } from "../../src/config/dataset.ts";

/** What a test may change of the fixture's description. */
export interface TxDatasetOptions {
  /** Time zone (default Europe/Paris). */
  timezone?: string;
  /** Column mapping (default: invoice, sku, qty, ts, price, cust). */
  columns?: Record<string, string>;
  /** More keys of the file description (e.g. `timestampFormat`). */
  file?: Record<string, unknown>;
  /** The cleaning section (default: non-product code POST and pattern ^gift_). */
  cleaning?: Record<string, unknown>;
  /** Folder the file path is relative to (default /tmp). */
  root?: string;
}

/** The fixture's dataset configuration, parsed. */
export function txDataset(o: TxDatasetOptions = {}): DatasetConfig {
  return parseDataset(
    {
      id: "shop",
      title: "Shop",
      currency: "EUR",
      timezone: o.timezone ?? "Europe/Paris",
      model: { forward: { cutoff: "2011-04-01", windowEnd: "2011-07-01" } },
      files: [{
        name: "tx.csv",
        path: "tx.csv",
        format: "csv",
        columns: o.columns ?? {
          invoice: "inv",
          stock_code: "sku",
          quantity: "qty",
          timestamp: "ts",
          unit_price: "price",
          customer_id: "cust",
        },
        ...o.file,
      }],
      cleaning: o.cleaning ?? { nonProductCodes: ["POST"], nonProductPatterns: ["^gift_"] },
    },
    "",
    o.root ?? "/tmp",
  );
}
