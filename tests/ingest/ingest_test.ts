/**
 * Tests of ingest (src/ingest/ingest.ts): reading CSV/TSV/whitespace/Parquet sources, mapping them onto
 * the canonical schema, and the structural errors that name file, column and row.
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  ingestFile,
  InputError,
  providedColumns,
  readSource,
  toCanonical,
} from "../../src/ingest/ingest.ts";
import { CANONICAL_COLUMNS } from "../../src/config/schema.ts";
import { cdsFile, fileConfig, fixture, ordersFile, smallFile } from "../fixtures/configs.ts";

/** Runs `fn`, asserts an InputError for `file` whose message matches every pattern. */
function inputError(fn: () => unknown, file: string, ...patterns: RegExp[]): InputError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InputError, `expected an InputError, got ${caught}`);
  assert.equal(caught.file, file);
  assert.equal(caught.name, "InputError");
  assert.ok(caught.message.startsWith(`${file}: `), caught.message);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

/** ISO strings of a Datetime column (null stays null). */
function isoTimes(df: pl.DataFrame): (string | null)[] {
  return (df.getColumn("timestamp").toArray() as unknown as (Date | null)[]).map((
    d,
  ) => (d ? d.toISOString() : null));
}

function col<T = unknown>(df: pl.DataFrame, name: string): T[] {
  return df.getColumn(name).toArray() as unknown as T[];
}

async function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "ingest_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ingest: CSV is read as text and mapped onto the canonical schema", () => {
  const cfg = ordersFile();
  const raw = readSource(fixture("orders.csv"), cfg);
  assert.equal(raw.height, 5);
  // Every source column is read as text, so toCanonical controls parsing.
  for (const c of raw.columns) assert.equal(raw.getColumn(c).dtype.variant, "String", c);

  const tx = toCanonical(raw, cfg);
  assert.deepEqual(tx.columns, [...CANONICAL_COLUMNS]);
  assert.equal(tx.height, 5);
  assert.deepEqual(col(tx, "invoice"), ["900001", "900001", "900002", "C900003", "900004"]);
  assert.deepEqual(col(tx, "stock_code"), ["K100", "K200", "K100", "K200", "K300"]);
  assert.deepEqual(col(tx, "description"), [
    "Tin robot, blue",
    "Paper kite",
    "Tin robot, blue",
    "Paper kite",
    "Glass marble",
  ]);
  assert.deepEqual(col(tx, "quantity"), [2, 1, 12, -1, 6]);
  assert.equal(tx.getColumn("quantity").dtype.variant, "Int64");
  assert.deepEqual(col(tx, "unit_price"), [3.5, 7.25, 3.1, 7.25, 0.85]);
  // line_value = quantity × unit_price
  const lv = col<number>(tx, "line_value");
  for (const [i, want] of [7, 7.25, 37.2, -7.25, 5.1].entries()) {
    assert.ok(Math.abs(lv[i] - want) < 1e-9);
  }
  // An empty customer id becomes null (left for the missing_customer rule).
  assert.equal(col(tx, "customer_id")[4], null);
  assert.deepEqual(col(tx, "country"), [
    "United Kingdom",
    "United Kingdom",
    "France",
    "France",
    "Norway",
  ]);
  assert.deepEqual(col(tx, "source_file"), Array(5).fill("orders.csv"));
  assert.deepEqual(col(tx, "source_row"), [1, 2, 3, 4, 5]);
  // UTC by default: wall-clock times unchanged.
  assert.deepEqual(isoTimes(tx), [
    "2011-06-01T10:00:00.000Z",
    "2011-06-01T10:00:00.000Z",
    "2011-01-10T10:00:00.000Z",
    "2011-01-11T09:30:00.000Z",
    "2011-01-12T16:45:00.000Z",
  ]);
  assert.equal(String(tx.getColumn("timestamp").dtype), "DataType(Datetime(us,UTC))");
});

Deno.test("ingest: TSV with the same content reads the same", () => {
  const cfg = ordersFile({ name: "orders.tsv", format: "tsv" });
  const tx = toCanonical(readSource(fixture("orders.tsv"), cfg), cfg);
  assert.equal(tx.height, 3);
  assert.deepEqual(col(tx, "invoice"), ["900001", "900002", "900004"]);
  assert.deepEqual(col(tx, "description")[0], "Tin robot, blue");
  assert.deepEqual(col(tx, "customer_id"), ["40001", "40002", null]);
  assert.deepEqual(col(tx, "quantity"), [2, 12, 6]);
  assert.deepEqual(col(tx, "source_file"), Array(3).fill("orders.tsv"));
});

Deno.test("ingest: a header-less CSV takes its column names from `fields`", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/nohead.csv`;
    Deno.writeTextFileSync(
      path,
      "7,K1,2,2011-03-01 08:00:00,1.25,321\n8,K2,3,2011-03-02 08:00:00,2.50,322\n",
    );
    const cfg = smallFile("nohead.csv");
    cfg.header = false;
    cfg.fields = ["Ref", "Item", "Units", "When", "Each", "Buyer"];
    const tx = toCanonical(readSource(path, cfg), cfg);
    assert.deepEqual(col(tx, "invoice"), ["7", "8"]);
    assert.deepEqual(col(tx, "customer_id"), ["321", "322"]);
    assert.deepEqual(col(tx, "unit_price"), [1.25, 2.5]);
    // Wrong number of fields is an error naming the expected fields.
    cfg.fields = ["Ref", "Item", "Units", "When", "Each"];
    inputError(() => readSource(path, cfg), "nohead.csv", /expected 5 fields/, /found 6/);
  });
});

Deno.test("ingest: whitespace text (ragged spaces, tabs, CRLF, blank lines) with a header", () => {
  const cfg = cdsFile();
  const raw = readSource(fixture("cds.txt"), cfg);
  assert.deepEqual(raw.columns, ["buyer", "day", "cds", "dollars"]);
  assert.equal(raw.height, 4);
  const tx = toCanonical(raw, cfg);
  // Identifiers stay text with their leading zeros.
  assert.deepEqual(col(tx, "customer_id"), ["00071", "00071", "00072", "00073"]);
  assert.deepEqual(col(tx, "quantity"), [1, 2, 3, 4]);
  assert.deepEqual(col(tx, "line_value"), [9.99, 21.5, 0, 38]);
  // line_value-only source: unit_price = line_value / quantity.
  assert.deepEqual(col(tx, "unit_price"), [9.99, 10.75, 0, 9.5]);
  // No stock code, description or country in the source.
  assert.deepEqual(col(tx, "stock_code"), [null, null, null, null]);
  assert.deepEqual(col(tx, "description"), [null, null, null, null]);
  assert.deepEqual(col(tx, "country"), [null, null, null, null]);
  // Synthetic invoice: customer|YYYY-MM-DD.
  assert.deepEqual(col(tx, "invoice"), [
    "00071|1997-01-03",
    "00071|1997-01-03",
    "00072|1997-02-15",
    "00073|1997-03-01",
  ]);
  assert.deepEqual(isoTimes(tx), [
    "1997-01-03T00:00:00.000Z",
    "1997-01-03T00:00:00.000Z",
    "1997-02-15T00:00:00.000Z",
    "1997-03-01T00:00:00.000Z",
  ]);
  assert.deepEqual(col(tx, "source_row"), [1, 2, 3, 4]);
  assert.deepEqual(
    [...providedColumns(cfg)].sort(),
    ["customer_id", "line_value", "quantity", "timestamp"],
  );
});

Deno.test("ingest: whitespace text without a header uses `fields`; quantity 0 gives a null unit price", () => {
  const cfg = cdsFile({
    name: "cds_noheader.txt",
    header: false,
    fields: ["buyer", "day", "cds", "dollars"],
  });
  const tx = toCanonical(readSource(fixture("cds_noheader.txt"), cfg), cfg);
  assert.deepEqual(col(tx, "customer_id"), ["00081", "00082"]);
  assert.deepEqual(col(tx, "quantity"), [2, 0]);
  assert.deepEqual(col(tx, "unit_price"), [12.5, null]);
  assert.deepEqual(col(tx, "invoice"), ["00081|1997-01-05", "00082|1997-01-06"]);
});

Deno.test("ingest: a whitespace line with the wrong number of fields is quarantined as ragged_row, naming its line", async () => {
  const cfg = cdsFile({
    name: "ragged.txt",
    header: false,
    fields: ["buyer", "day", "cds", "dollars"],
  });
  // Line 2 has 3 fields: kept as an empty row with its reason, listed with its line.
  const got = ingestFile(fixture("ragged.txt"), cfg);
  assert.equal(got.rowsRead, 2);
  assert.deepEqual(col(got.canonical, "ingest_reason"), [null, "ragged_row"]);
  assert.deepEqual(col(got.canonical, "customer_id"), ["00091", null]);
  assert.deepEqual(got.summary.problems, [
    { row: 2, line: 2, reason: "ragged_row", expected: 4, found: 3 },
  ]);
  // With a header, line numbers count the header line; a file where no row has the header's
  // number of fields is a configuration error, naming the expected and found counts.
  await withTempDir((dir) => {
    Deno.writeTextFileSync(`${dir}/x.txt`, "a b\n1 19970101\n3\n");
    const x = ingestFile(
      `${dir}/x.txt`,
      fileConfig({
        name: "x.txt",
        format: "whitespace",
        header: true,
        columns: { customer_id: "a", timestamp: "b", quantity: "a", line_value: "a" },
        timestampFormat: "%Y%m%d",
      }),
    );
    assert.deepEqual(x.summary.problems, [
      { row: 2, line: 3, reason: "ragged_row", expected: 2, found: 1 },
    ]);
    Deno.writeTextFileSync(`${dir}/y.txt`, "a b\n1 2 3\n4 5 6\n");
    inputError(
      () => readSource(`${dir}/y.txt`, cdsFile({ name: "y.txt", header: true })),
      "y.txt",
      /expected 2 fields \(a, b\), found 3 on line 2, and no data row has 2/,
    );
  });
});

Deno.test("ingest: Parquet with typed columns (float customer id, datetime, int quantity)", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/typed.parquet`;
    pl.DataFrame({
      InvoiceNo: pl.Series("InvoiceNo", ["500001", "500001", "C500002"], pl.Utf8),
      StockCode: pl.Series("StockCode", ["K1", "K2", "K1"], pl.Utf8),
      Quantity: pl.Series("Quantity", [3, 1, -3], pl.Int64),
      InvoiceDate: pl.Series(
        "InvoiceDate",
        [
          new Date("2011-06-01T10:00:00Z"),
          new Date("2011-06-01T10:00:00Z"),
          new Date("2011-01-10T10:00:00Z"),
        ],
        pl.Datetime("ms"),
      ).cast(pl.Datetime("ns")),
      UnitPrice: pl.Series("UnitPrice", [1.5, 2.25, 1.5], pl.Float64),
      CustomerID: pl.Series("CustomerID", [17850.0, 17850.0, null], pl.Float64),
      Country: pl.Series("Country", ["United Kingdom", "United Kingdom", "Spain"], pl.Utf8),
    }).writeParquet(path);
    const cfg = fileConfig({
      name: "typed.parquet",
      format: "parquet",
      columns: {
        invoice: "InvoiceNo",
        stock_code: "StockCode",
        quantity: "Quantity",
        timestamp: "InvoiceDate",
        unit_price: "UnitPrice",
        customer_id: "CustomerID",
        country: "Country",
      },
    });
    const tx = toCanonical(readSource(path, cfg), cfg, { timezone: "Europe/London" });
    // Float ids become integer text: 17850.0 → "17850"; null stays null.
    assert.deepEqual(col(tx, "customer_id"), ["17850", "17850", null]);
    assert.deepEqual(col(tx, "quantity"), [3, 1, -3]);
    assert.deepEqual(col(tx, "line_value"), [4.5, 2.25, -4.5]);
    // A naive datetime column is London wall-clock time: summer −1 h, winter unchanged.
    assert.deepEqual(isoTimes(tx), [
      "2011-06-01T09:00:00.000Z",
      "2011-06-01T09:00:00.000Z",
      "2011-01-10T10:00:00.000Z",
    ]);
    assert.deepEqual(col(tx, "description"), [null, null, null]);
  });
});

Deno.test("ingest: Parquet with an Int64 customer id and string timestamps", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/ints.parquet`;
    pl.DataFrame({
      Invoice: ["1", "2"],
      StockCode: ["K1", "K2"],
      Quantity: pl.Series("Quantity", [1, 2], pl.Int64),
      InvoiceDate: ["2010-07-15 12:30:00", "2010-12-24 08:00:00"],
      Price: pl.Series("Price", [2, 3], pl.Float64),
      "Customer ID": pl.Series("Customer ID", [12345, null], pl.Int64),
    }).writeParquet(path);
    const cfg = fileConfig({
      name: "ints.parquet",
      format: "parquet",
      columns: {
        invoice: "Invoice",
        stock_code: "StockCode",
        quantity: "Quantity",
        timestamp: "InvoiceDate",
        unit_price: "Price",
        customer_id: "Customer ID",
      },
    });
    const tx = toCanonical(readSource(path, cfg), cfg, { timezone: "Europe/London" });
    assert.deepEqual(col(tx, "customer_id"), ["12345", null]);
    assert.deepEqual(isoTimes(tx), ["2010-07-15T11:30:00.000Z", "2010-12-24T08:00:00.000Z"]);
  });
});

Deno.test("ingest: a fractional quantity in a float Parquet column names the row", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/frac.parquet`;
    pl.DataFrame({
      Buyer: ["1", "2", "3"],
      When: ["2011-01-01 00:00:00", "2011-01-01 00:00:00", "2011-01-01 00:00:00"],
      Units: pl.Series("Units", [1, 2, 2.5], pl.Float64),
      Each: pl.Series("Each", [1, 1, 1], pl.Float64),
    }).writeParquet(path);
    const cfg = fileConfig({
      name: "frac.parquet",
      format: "parquet",
      columns: { customer_id: "Buyer", timestamp: "When", quantity: "Units", unit_price: "Each" },
    });
    inputError(
      () => toCanonical(readSource(path, cfg), cfg),
      "frac.parquet",
      /column "Units" \(quantity\)/,
      /row 3/,
      /whole number/,
      /2\.5/,
    );
    // A float customer id that is not whole is no identifier.
    const path2 = `${dir}/fracid.parquet`;
    pl.DataFrame({
      Buyer: pl.Series("Buyer", [17850, 17850.5], pl.Float64),
      When: ["2011-01-01 00:00:00", "2011-01-01 00:00:00"],
      Units: pl.Series("Units", [1, 2], pl.Int64),
      Each: pl.Series("Each", [1, 1], pl.Float64),
    }).writeParquet(path2);
    inputError(
      () => toCanonical(readSource(path2, cfg), { ...cfg, name: "fracid.parquet" }),
      "fracid.parquet",
      /column "Buyer" \(customer_id\)/,
      /row 2/,
      /identifier/,
    );
  });
});

Deno.test("ingest: column mapping picks renamed columns; a missing column names file and column", () => {
  const cfg = ordersFile();
  cfg.columns = { ...cfg.columns, unit_price: "Price" };
  // Reading only the mapped columns, readSource finds it missing first (toCanonical would too).
  const e = inputError(
    () => readSource(fixture("orders.csv"), cfg),
    "orders.csv",
    /column "Price"/,
    /mapped as unit_price/,
    /missing/,
  );
  // The message lists the columns the file does have.
  assert.match(e.message, /Ref, Item, Label, Units, When, Each, Buyer, Nation/);
});

Deno.test("ingest: a non-numeric quantity names file, column and row", () => {
  const cfg = smallFile("bad_quantity.csv");
  const raw = readSource(fixture("bad_quantity.csv"), cfg);
  inputError(
    () => toCanonical(raw, cfg),
    "bad_quantity.csv",
    /column "Units" \(quantity\)/,
    /row 3\b/,
    /expected a number/,
    /"abc"/,
  );
});

Deno.test("ingest: a non-whole quantity in a text file names the row", () => {
  const cfg = smallFile("fractional_quantity.csv");
  inputError(
    () => toCanonical(readSource(fixture("fractional_quantity.csv"), cfg), cfg),
    "fractional_quantity.csv",
    /column "Units" \(quantity\)/,
    /row 2\b/,
    /whole number/,
    /"2\.5"/,
  );
});

Deno.test("ingest: a non-numeric price names file, column and row", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/badprice.csv`;
    Deno.writeTextFileSync(
      path,
      "Ref,Item,Units,When,Each,Buyer\n1,K1,1,2011-01-01 10:00:00,£3.00,9\n",
    );
    const cfg = smallFile("badprice.csv");
    inputError(
      () => toCanonical(readSource(path, cfg), cfg),
      "badprice.csv",
      /column "Each" \(unit_price\)/,
      /row 1\b/,
      /"£3.00"/,
    );
  });
});

Deno.test("ingest: a timestamp column that parses nothing names file, column, row and format", () => {
  const cfg = smallFile("bad_dates.csv");
  inputError(
    () => toCanonical(readSource(fixture("bad_dates.csv"), cfg), cfg),
    "bad_dates.csv",
    /column "When" \(timestamp\)/,
    /row 1\b/,
    /"01\/02\/2011 10:00"/,
    /format "%Y-%m-%d %H:%M:%S"/,
    /3 of 3 rows unparsable/,
  );
  // The same file with the right format parses.
  const ok = { ...cfg, timestampFormat: "%d/%m/%Y %H:%M" };
  const tx = toCanonical(readSource(fixture("bad_dates.csv"), ok), ok);
  assert.deepEqual(isoTimes(tx), [
    "2011-02-01T10:00:00.000Z",
    "2011-02-02T11:00:00.000Z",
    "2011-02-03T12:00:00.000Z",
  ]);
});

Deno.test("ingest: unparsable timestamps above the tolerance are an error naming the first bad row", () => {
  const cfg = smallFile("some_bad_dates.csv");
  const raw = readSource(fixture("some_bad_dates.csv"), cfg);
  // One of five rows (20 %) is unparsable (2011-02-30); the default tolerance is 1 %.
  inputError(
    () => toCanonical(raw, cfg),
    "some_bad_dates.csv",
    /column "When" \(timestamp\)/,
    /row 3\b/,
    /"2011-02-30 12:00:00"/,
    /format "%Y-%m-%d %H:%M:%S"/,
    /1 of 5 rows unparsable/,
  );
});

Deno.test("ingest: a few unparsable timestamps under the tolerance are kept with a null timestamp", () => {
  const cfg = smallFile("some_bad_dates.csv");
  const raw = readSource(fixture("some_bad_dates.csv"), cfg);
  const tx = toCanonical(raw, cfg, { maxUnparsableShare: 0.25 });
  assert.equal(tx.height, 5);
  assert.deepEqual(isoTimes(tx), [
    "2011-02-01T10:00:00.000Z",
    "2011-02-01T10:00:00.000Z",
    null, // unparsable: left for the bad_timestamp rule
    "2011-02-03T12:00:00.000Z",
    null, // missing: never counts against the tolerance
  ]);
  assert.deepEqual(col(tx, "source_row"), [1, 2, 3, 4, 5]);
  assert.deepEqual(col(tx, "quantity"), [3, 4, 5, 6, 7]);

  // Default tolerance (1 %): 1 bad row among 200 is kept.
  const n = 200;
  const whens = Array.from(
    { length: n },
    (_, i) => `2011-03-${String(1 + (i % 28)).padStart(2, "0")} 10:00:00`,
  );
  whens[150] = "2011-03-xx 10:00:00";
  const big = pl.DataFrame({
    Ref: Array.from({ length: n }, (_, i) => String(i)),
    Item: Array(n).fill("K1"),
    Units: Array(n).fill("1"),
    When: whens,
    Each: Array(n).fill("1.0"),
    Buyer: Array(n).fill("77"),
  });
  const bigTx = toCanonical(big, smallFile("big.csv"));
  const ts = isoTimes(bigTx);
  assert.equal(ts.filter((t) => t === null).length, 1);
  assert.equal(ts[150], null);
  // Three bad rows (1.5 %) is too many.
  whens[10] = "bad";
  whens[20] = "bad";
  const big3 = big.withColumns(pl.Series("When", whens));
  inputError(
    () => toCanonical(big3, smallFile("big.csv")),
    "big.csv",
    /row 11\b/,
    /3 of 200 rows unparsable/,
  );
});

Deno.test("ingest: empty files are a clear error", () => {
  inputError(() => readSource(fixture("empty.csv"), smallFile("empty.csv")), "empty.csv", /empty/);
  inputError(
    () => readSource(fixture("header_only.csv"), smallFile("header_only.csv")),
    "header_only.csv",
    /empty/,
  );
  inputError(
    () => readSource(fixture("header_only.txt"), cdsFile({ name: "header_only.txt" })),
    "header_only.txt",
    /empty/,
  );
  inputError(
    () =>
      readSource(
        fixture("empty.csv"),
        cdsFile({ name: "empty.csv", header: false, fields: ["a", "b", "c", "d"] }),
      ),
    "empty.csv",
    /empty/,
  );
  // toCanonical refuses an empty frame too.
  const empty = pl.DataFrame({ Buyer: pl.Series("Buyer", [], pl.Utf8) });
  inputError(() => toCanonical(empty, smallFile("e.csv")), "e.csv", /empty/);
});

Deno.test("ingest: an empty Parquet file and a missing file are InputErrors", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/empty.parquet`;
    pl.DataFrame({ Buyer: pl.Series("Buyer", [], pl.Utf8) }).writeParquet(path);
    const cfg = ordersFile({ name: "empty.parquet", format: "parquet" });
    inputError(() => readSource(path, cfg), "empty.parquet", /empty/);
    inputError(
      () => readSource(`${dir}/nope.parquet`, { ...cfg, name: "nope.parquet" }),
      "nope.parquet",
      /cannot be read as parquet/,
    );
  });
});

Deno.test("ingest: Europe/London wall-clock → UTC (summer −1 h, winter unchanged, DST edges)", () => {
  const df = pl.DataFrame({
    Buyer: ["1", "1", "1", "1", "1"],
    When: [
      "2011-06-01 10:00:00", // BST
      "2011-01-10 10:00:00", // GMT
      "2011-03-27 01:30:00", // inside the spring-forward gap: does not exist
      "2011-10-30 01:30:00", // ambiguous autumn hour: the earlier instant (BST)
      "2011-12-09 12:50:00",
    ],
    Units: ["1", "1", "1", "1", "1"],
    Each: ["1", "1", "1", "1", "1"],
  });
  const cfg = fileConfig({
    name: "tz.csv",
    columns: { customer_id: "Buyer", timestamp: "When", quantity: "Units", unit_price: "Each" },
  });
  const tx = toCanonical(df, cfg, { timezone: "Europe/London" });
  assert.deepEqual(isoTimes(tx), [
    "2011-06-01T09:00:00.000Z",
    "2011-01-10T10:00:00.000Z",
    null,
    "2011-10-30T00:30:00.000Z",
    "2011-12-09T12:50:00.000Z",
  ]);
  // The nonexistent time is no "unparsable" text: it does not trip the tolerance check.
  assert.equal(tx.height, 5);
  // Another zone: New York summer is UTC−4.
  const ny = toCanonical(df.head(1), cfg, { timezone: "America/New_York" });
  assert.deepEqual(isoTimes(ny), ["2011-06-01T14:00:00.000Z"]);
});

Deno.test("ingest: source_row is 1-based in source order, even with repeated timestamps", () => {
  // Timestamps repeat and are out of order: the join on distinct timestamps must not reorder rows.
  const whens = [
    "2011-05-03 10:00:00",
    "2011-05-01 10:00:00",
    "2011-05-03 10:00:00",
    "2011-05-02 10:00:00",
    "2011-05-01 10:00:00",
  ];
  const df = pl.DataFrame({
    Ref: ["e", "d", "c", "b", "a"],
    Buyer: ["5", "4", "3", "2", "1"],
    When: whens,
    Units: ["5", "4", "3", "2", "1"],
    Each: ["1", "1", "1", "1", "1"],
  });
  const cfg = fileConfig({
    name: "order.csv",
    columns: {
      invoice: "Ref",
      customer_id: "Buyer",
      timestamp: "When",
      quantity: "Units",
      unit_price: "Each",
    },
  });
  const tx = toCanonical(df, cfg);
  assert.deepEqual(col(tx, "source_row"), [1, 2, 3, 4, 5]);
  assert.deepEqual(col(tx, "invoice"), ["e", "d", "c", "b", "a"]);
  assert.deepEqual(col(tx, "quantity"), [5, 4, 3, 2, 1]);
  assert.deepEqual(isoTimes(tx), whens.map((w) => w.replace(" ", "T") + ".000Z"));
});

Deno.test("ingest: integer-coded dates (YYYYMMDD as numbers) parse", () => {
  const df = pl.DataFrame({
    Buyer: pl.Series("Buyer", [11, 12], pl.Int64),
    When: pl.Series("When", [19970101, 19980630], pl.Int64),
    Units: pl.Series("Units", [1, 2], pl.Int64),
    Value: pl.Series("Value", [10, 30], pl.Float64),
  });
  const cfg = fileConfig({
    name: "ints.parquet",
    format: "parquet",
    columns: { customer_id: "Buyer", timestamp: "When", quantity: "Units", line_value: "Value" },
    timestampFormat: "%Y%m%d",
  });
  const tx = toCanonical(df, cfg);
  assert.deepEqual(isoTimes(tx), ["1997-01-01T00:00:00.000Z", "1998-06-30T00:00:00.000Z"]);
  assert.deepEqual(col(tx, "customer_id"), ["11", "12"]);
  assert.deepEqual(col(tx, "unit_price"), [10, 15]);
  assert.deepEqual(col(tx, "invoice"), ["11|1997-01-01", "12|1998-06-30"]);
});

// Regression, fixed (src/ingest.ts, textColumn, text branch): a customer id exported as a float ("17850.0", as
// pandas writes a nullable integer column to CSV) is kept verbatim in a text source, while the
// same id in a float Parquet column becomes "17850". The same customer then has two ids, and
// exact duplicates across a CSV file and a Parquet file are not recognised.
Deno.test("ingest: a float-formatted customer id in a text file becomes integer text", () => {
  const cfg = ordersFile();
  const tx = toCanonical(readSource(fixture("orders.csv"), cfg), cfg);
  // orders.csv row 3 has Buyer "40002.0"; row 4 has "40002" — the same customer.
  assert.equal(col(tx, "customer_id")[2], "40002");
  assert.equal(col(tx, "customer_id")[3], "40002");
});

Deno.test("ingest: ingestFile counts the data rows as read, before any mapping", async () => {
  // CSV: five data lines under a header.
  const csv = ingestFile(fixture("orders.csv"), ordersFile(), { timezone: "Europe/London" });
  assert.equal(csv.name, "orders.csv");
  assert.equal(csv.rowsRead, 5);
  assert.equal(csv.canonical.height, 5);
  assert.deepEqual(col(csv.canonical, "source_file"), Array(5).fill("orders.csv"));
  // The options reach the mapping: London summer time is UTC+1.
  assert.equal(isoTimes(csv.canonical)[0], "2011-06-01T09:00:00.000Z");
  assert.deepEqual([...csv.provided].sort(), [
    "country",
    "customer_id",
    "description",
    "invoice",
    "quantity",
    "stock_code",
    "timestamp",
    "unit_price",
  ]);
  // Whitespace text: four data lines under a header; the blank line is no row.
  const cds = ingestFile(fixture("cds.txt"), cdsFile());
  assert.equal(cds.rowsRead, 4);
  // Parquet: the rows of the file.
  await withTempDir((dir) => {
    const path = `${dir}/three.parquet`;
    pl.DataFrame({
      c: ["1", "2", "3"],
      t: ["2011-01-01 00:00:00", "2011-01-02 00:00:00", ""],
      q: pl.Series("q", [1, 2, 3], pl.Int64),
      p: pl.Series("p", [1, 1, 1], pl.Float64),
    }).writeParquet(path);
    const pq = ingestFile(path, fileConfig({ name: "three.parquet", format: "parquet" }));
    assert.equal(pq.rowsRead, 3);
    assert.deepEqual(col(pq.canonical, "source_row"), [1, 2, 3]);
  });
  // A structural error is raised before anything is counted.
  inputError(
    () => ingestFile(fixture("bad_quantity.csv"), smallFile("bad_quantity.csv")),
    "bad_quantity.csv",
    /row 3\b/,
  );
});
