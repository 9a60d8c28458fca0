/**
 * Tests of what ingest does to values (issue #9): null words are missing in every column (a
 * configurable list, per file or per dataset), customer ids are normalised so that one customer
 * is one id, stray byte-order marks are removed and counted, and a message quotes at most an
 * excerpt of a value. Every file is written by the test itself.
 */
import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/errors.ts";
import { DEFAULT_NULL_WORDS } from "../../src/config/dataset.ts";
import { ingestFile } from "../../src/ingest/ingest.ts";
import { excerpt } from "../../src/lib/text.ts";
import { cleanIngested, ingestSources } from "../../src/pipeline/stages.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { CTQP_COLUMNS, dataset, fileConfig, fileJson } from "../fixtures/configs.ts";
import { col, inputError, withTempDir, write } from "./helpers.ts";

const T = "2011-01-01 10:00:00";
const quiet = () => new Progress(() => {});

Deno.test("values: the usual null words are missing customers, in every column (default list)", async () => {
  await withTempDir((dir) => {
    const words = ["nan", "NaN", "NULL", "None", "null", "N/A", "-"];
    const lines = [
      "c,t,q,p,d",
      ...words.map((w) => `${w},${T},1,1.0,x`),
      // Null words in the other columns too, padded or not.
      `12345,${T},NULL,n/a, None `,
      `12345,${T},2,1.5,NULL`,
      `12345,nan,2,1.5,kept`,
    ];
    const path = write(dir, "n.csv", lines.join("\n") + "\n");
    const file = fileConfig({ name: "n.csv", columns: { ...CTQP_COLUMNS, description: "d" } });
    assert.deepEqual(file.nullWords, [...DEFAULT_NULL_WORDS]);
    const got = ingestFile(path, file);
    assert.deepEqual(col(got.canonical, "customer_id"), [
      ...words.map(() => null),
      "12345",
      "12345",
      "12345",
    ]);
    assert.deepEqual(col(got.canonical, "quantity"), [1, 1, 1, 1, 1, 1, 1, null, 2, 2]);
    assert.deepEqual(col(got.canonical, "unit_price").slice(7), [null, 1.5, 1.5]);
    assert.deepEqual(col(got.canonical, "description").slice(6), ["x", null, null, "kept"]);
    // A null-word timestamp is missing (bad_timestamp), not "unparsable" (no format error).
    assert.equal(col(got.canonical, "timestamp")[9], null);
    assert.deepEqual(got.summary.nullWords, {
      customer_id: 7,
      timestamp: 1,
      quantity: 1,
      unit_price: 1,
      description: 2,
    });

    // Through cleaning: the seven are missing customers, and no customer is called "nan".
    const ds = dataset({ files: [fileJson({ name: "n.csv", path, columns: file.columns })] });
    const c = cleanIngested(ds, ingestSources(ds, [{ file, path }], quiet()), quiet());
    assert.equal(c.report.total.rows_in, 10);
    assert.equal(c.report.total.dropped.missing_customer, 7);
    assert.equal(c.report.total.dropped.non_positive_quantity, 1);
    assert.equal(c.report.total.dropped.bad_timestamp, 1);
    assert.equal(c.report.total.rows_kept, 1);
    assert.deepEqual([...new Set(col(c.kept, "customer_id"))], ["12345"]);
  });
});

Deno.test("values: null words are configurable per dataset (cleaning.nullWords) and per file", async () => {
  await withTempDir((dir) => {
    const path = write(
      dir,
      "w.csv",
      `c,t,q,p\nNULL,${T},1,1.0\nn.v.,${T},1,1.0\n??,${T},1,1.0\n7,${T},1,1.0\n`,
    );
    const ids = (over: Record<string, unknown>, fileOver: Record<string, unknown> = {}) => {
      const ds = dataset({ files: [fileJson({ name: "w.csv", ...fileOver })], ...over });
      return col(ingestFile(path, ds.files[0]).canonical, "customer_id");
    };
    // The dataset's list replaces the default: "NULL" is an id now, "??" is missing.
    assert.deepEqual(ids({ cleaning: { nullWords: ["??"] } }), ["NULL", "n.v.", null, "7"]);
    // A file's own list wins over the dataset's.
    assert.deepEqual(ids({ cleaning: { nullWords: ["??"] } }, { nullWords: ["n.v."] }), [
      "NULL",
      null,
      "??",
      "7",
    ]);
    // An empty list turns null words off (an empty field is still missing).
    assert.deepEqual(ids({}, { nullWords: [] }), ["NULL", "n.v.", "??", "7"]);
    // A word with spaces around it could never match a trimmed value: refused, naming the key.
    assert.throws(
      () => dataset({ files: [fileJson({ nullWords: [" NA"] })] }),
      (e: Error) => e instanceof ConfigError && /files\[0\]\.nullWords\[0\]: " NA"/.test(e.message),
    );
    assert.throws(
      () => dataset({ cleaning: { nullWords: [""] } }),
      /cleaning\.nullWords\[0\]: "": values are compared after trimming/,
    );
  });
});

Deno.test("values: customer ids are normalised — scientific and float text, Unicode spaces, zero-width characters", async () => {
  await withTempDir((dir) => {
    const ids = [
      "12345",
      "1.2345e4",
      "1.2345E+04",
      "12345.0",
      "\u00a012345\u00a0", // non-breaking spaces
      "12345\u200b", // zero-width space
      "\u200b12345",
      "\ufeff12345", // a stray byte-order mark inside the field
      "1\u200d2345", // zero-width joiner inside
      " 12345 ",
      "1.23456e4", // 12345.6: not a whole number, left as written
      "00071", // leading zeros are part of the id
      "00071.0",
    ];
    const path = write(dir, "ids.csv", "c,t,q,p\n" + ids.map((c) => `${c},${T},1,1.0`).join("\n"));
    const got = ingestFile(path, fileConfig({ name: "ids.csv" }));
    assert.deepEqual(col(got.canonical, "customer_id"), [
      ...Array(10).fill("12345"),
      "1.23456e4",
      "00071",
      "00071",
    ]);
    // Every id written differently than it was read is counted (rows, and distinct values).
    assert.deepEqual(got.summary.customerIds, { normalised: 10, distinct: 10 });
    assert.equal(got.summary.strayBoms, 1);
    assert.equal(new Set(col(got.canonical, "customer_id")).size, 3);
  });
});

Deno.test("values: scientific ids are normalised and counted without invisible characters too (the one-pass mapping)", async () => {
  await withTempDir((dir) => {
    // No byte-order mark or zero-width character anywhere: mapping reads the file once, and the
    // scientific-notation ids are rewritten after that pass (and still counted).
    const ids = ["12345", "1.2345e4", "1.2345e4", "1.2345E+04", "  ", "NULL", "777.0", "1.5e0"];
    const path = write(dir, "sci.csv", "c,t,q,p\n" + ids.map((c) => `${c},${T},1,1.0`).join("\n"));
    const got = ingestFile(path, fileConfig({ name: "sci.csv" }));
    assert.deepEqual(col(got.canonical, "customer_id"), [
      "12345",
      "12345",
      "12345",
      "12345",
      null,
      null,
      "777",
      "1.5e0", // 1.5: not a whole number, left as written
    ]);
    assert.deepEqual(got.summary.customerIds, { normalised: 4, distinct: 3 });
    // The blank id is missing as read, the null word is counted as one.
    assert.equal(got.summary.nullWords.customer_id, 1);
    assert.equal(got.summary.strayBoms, 0);
  });
});

Deno.test("values: a stray byte-order mark inside a field is removed and counted; one at the start of the file is the file's", async () => {
  await withTempDir((dir) => {
    const path = write(
      dir,
      "bom.csv",
      `\ufeffc,t,q,p,d\n1,${T},1,1.0,Tin\ufeff robot\n2,\ufeff${T},1,1.0,kite\n3,${T},1,1.0,\ufeff\n`,
    );
    const got = ingestFile(
      path,
      fileConfig({ name: "bom.csv", columns: { ...CTQP_COLUMNS, description: "d" } }),
    );
    assert.deepEqual(col(got.canonical, "description"), ["Tin robot", "kite", null]);
    assert.equal(col(got.canonical, "timestamp")[1] !== null, true);
    assert.equal(got.summary.strayBoms, 3);
  });
});

Deno.test("values: a message quotes at most 80 characters of a value (a 1 MB field is not echoed)", async () => {
  await withTempDir((dir) => {
    const huge = "9".repeat(400_000) + "x" + "9".repeat(600_000);
    const path = write(dir, "big.csv", `c,t,q,p\n1,${T},${huge},1.0\n`);
    const e = inputError(
      () => ingestFile(path, fileConfig({ name: "big.csv" })),
      "big.csv",
      /column "q" \(quantity\), row 1: expected a number, found "9{80}…"$/,
    );
    assert.ok(e.message.length < 200, `${e.message.length} characters`);
    // The one helper: JSON-style quotes, an ellipsis when cut, surrogate pairs kept whole.
    assert.equal(excerpt("x".repeat(100)), `"${"x".repeat(80)}…"`);
    assert.equal(excerpt("a\u0000b"), '"a\\u0000b"');
    assert.equal(excerpt("😀".repeat(50), 3), '"😀…"');
  });
});
