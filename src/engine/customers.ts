/**
 * The warehouse round trip, coming back: a customer table (one row per customer, the columns the
 * generated SQL writes to `rfm_customers`, see `sql.ts`) read from a Parquet or CSV file — a
 * dataset file of `format: "customers"` — and checked, as the customer table the RFM stage
 * scores (`customer_id`, `recency_days`, `frequency`, `monetary`, `tenure_days`,
 * `avg_order_value`, `first_day`, `last_day`, `country`, sorted by customer id).
 *
 * Checks, each a clear error naming the file: every column present (the message names the
 * missing one and lists what the file has), no missing or repeated customer id, whole numbers
 * where days and counts are expected, one analysis date for all rows (`last_day + recency_days`).
 *
 * @module
 */
import pl from "nodejs-polars";
import { InputError } from "../ingest/errors.ts";
import { excerpt, excerptList } from "../lib/text.ts";
import { dayIso } from "../lib/time.ts";
import { CUSTOMER_TABLE_COLUMNS } from "./sql.ts";

/** A customer table read back, with the analysis date it was computed for. */
export interface CustomerTable {
  /** Columns {@link CUSTOMER_TABLE_COLUMNS}, sorted by customer id. */
  customers: pl.DataFrame;
  /** Rows read per file (one per customer), counted as read. */
  rows: Record<string, number>;
  /** The analysis date (ISO): the day every row's `last_day + recency_days` gives. */
  analysisDate: string;
}

const INTEGER_COLUMNS = ["recency_days", "frequency", "tenure_days", "first_day", "last_day"];

/**
 * Reads and checks a customer table written by the generated SQL (or a warehouse running it).
 *
 * @param path a `.parquet` file (else read as CSV with a header)
 * @param name the file's name for messages (default: `path`)
 * @throws {InputError} naming the file and the missing column, or the first bad row
 *
 * @example
 * ```ts
 * import { readCustomerTable } from "./customers.ts";
 * import { equal, throws } from "node:assert/strict";
 * const dir = Deno.makeTempDirSync();
 * const csv = `${dir}/c.csv`;
 * Deno.writeTextFileSync(csv, [
 *   "customer_id,recency_days,frequency,monetary,tenure_days,avg_order_value,first_day,last_day,country",
 *   "b,1,1,5,1,5,15348,15348,France",
 *   "a,5,2,40,9,20,15340,15344,United Kingdom",
 * ].join("\n"));
 * const t = readCustomerTable(csv);
 * equal(t.analysisDate, "2012-01-10");
 * equal(t.customers.getColumn("customer_id").get(0), "a");
 * Deno.writeTextFileSync(csv, "customer_id,recency_days\na,1\n");
 * throws(() => readCustomerTable(csv, "c.csv"), /c.csv: customer table lacks column "frequency"/);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function readCustomerTable(path: string, name: string = path): CustomerTable {
  let df: pl.DataFrame;
  try {
    df = path.endsWith(".parquet")
      ? pl.readParquet(path)
      : pl.readCSV(path, { hasHeader: true, inferSchemaLength: 0 });
  } catch (e) {
    throw new InputError(name, `cannot be read as a customer table: ${(e as Error).message}`);
  }
  for (const col of CUSTOMER_TABLE_COLUMNS) {
    if (!df.columns.includes(col)) {
      throw new InputError(
        name,
        `customer table lacks column ${excerpt(col)} (it has ${
          excerptList(df.columns)
        }); write it with the SQL of \`deno task sql\``,
      );
    }
  }
  const typed = df.select(
    pl.col("customer_id").cast(pl.Utf8),
    ...INTEGER_COLUMNS.map((c) => pl.col(c).cast(pl.Float64, false).alias(c)),
    pl.col("monetary").cast(pl.Float64, false),
    pl.col("avg_order_value").cast(pl.Float64, false),
    pl.col("country").cast(pl.Utf8),
  );
  const rows = typed.withRowIndex("__row", 1);
  const firstBad = (bad: pl.Expr, what: string) => {
    const hit = rows.filter(bad).head(1);
    if (hit.height) {
      const r = hit.toRecords()[0];
      throw new InputError(name, `row ${r.__row} (customer ${excerpt(r.customer_id)}): ${what}`);
    }
  };
  firstBad(pl.col("customer_id").isNull(), "no customer id");
  firstBad(pl.col("customer_id").isDuplicated(), "the customer id appears more than once");
  for (const c of [...INTEGER_COLUMNS, "monetary", "avg_order_value"]) {
    firstBad(pl.col(c).isNull(), `${c} is missing or not a number`);
  }
  for (const c of INTEGER_COLUMNS) {
    firstBad(pl.col(c).neq(pl.col(c).floor()), `${c} is not a whole number`);
  }
  const day = pl.col("last_day").add(pl.col("recency_days"));
  const days = typed.select(day.min().alias("lo"), day.max().alias("hi")).row(0).map(Number);
  if (typed.height && days[0] !== days[1]) {
    firstBad(day.neq(pl.lit(days[0])), "last_day + recency_days differs from the first row's");
  }
  const customers = typed.select(
    "customer_id",
    ...["recency_days", "frequency"].map((c) => pl.col(c).cast(pl.Int64)),
    "monetary",
    pl.col("tenure_days").cast(pl.Int64),
    "avg_order_value",
    ...["first_day", "last_day"].map((c) => pl.col(c).cast(pl.Int64)),
    "country",
  ).sort("customer_id");
  return {
    customers,
    rows: { [name]: df.height },
    analysisDate: typed.height ? dayIso(days[0]) : "",
  };
}

/**
 * Reads several customer tables (a warehouse export in parts) as one: each is checked by
 * {@link readCustomerTable}, then together: one analysis date, and no customer in two files.
 *
 * @param files the files, in order, with their names for messages
 * @throws {InputError} naming the file of the first problem (a second analysis date, a customer
 *   already read from an earlier file)
 *
 * @example
 * ```ts
 * import { readCustomerTables } from "./customers.ts";
 * import { equal, throws } from "node:assert/strict";
 * const dir = Deno.makeTempDirSync();
 * const head = "customer_id,recency_days,frequency,monetary,tenure_days,avg_order_value,first_day,last_day,country";
 * Deno.writeTextFileSync(`${dir}/a.csv`, `${head}\nb,1,1,5,1,5,15348,15348,France\n`);
 * Deno.writeTextFileSync(`${dir}/b.csv`, `${head}\na,5,2,40,9,20,15340,15344,Spain\n`);
 * const t = readCustomerTables([{ path: `${dir}/a.csv`, name: "a.csv" }, { path: `${dir}/b.csv`, name: "b.csv" }]);
 * equal(t.customers.height, 2);
 * equal(t.customers.getColumn("customer_id").get(0), "a");
 * throws(
 *   () => readCustomerTables([{ path: `${dir}/a.csv`, name: "a.csv" }, { path: `${dir}/a.csv`, name: "c.csv" }]),
 *   /c.csv: customer "b" is already in a.csv/,
 * );
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function readCustomerTables(files: { path: string; name: string }[]): CustomerTable {
  const tables = files.map((f) => readCustomerTable(f.path, f.name));
  const seen = new Map<string, string>();
  for (const [i, t] of tables.entries()) {
    if (t.customers.height && tables[0].analysisDate !== t.analysisDate) {
      throw new InputError(
        files[i].name,
        `analysis date ${t.analysisDate} (last_day + recency_days), but ${files[0].name} has ` +
          `${tables[0].analysisDate}: the parts of a customer table come from one run of the SQL`,
      );
    }
    for (const id of t.customers.getColumn("customer_id").toArray() as string[]) {
      const where = seen.get(id);
      if (where !== undefined) {
        throw new InputError(files[i].name, `customer ${excerpt(id)} is already in ${where}`);
      }
      seen.set(id, files[i].name);
    }
  }
  if (tables.length === 1) return tables[0];
  return {
    customers: pl.concat(tables.map((t) => t.customers)).sort("customer_id"),
    rows: Object.assign({}, ...tables.map((t) => t.rows)),
    analysisDate: tables.find((t) => t.customers.height)?.analysisDate ?? "",
  };
}
