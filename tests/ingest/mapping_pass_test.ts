/**
 * Tests of the mapping pass's layout (issue 12, faster and leaner): each text column is trimmed
 * once in a first stage and read by name in the second, the pass runs in batches, and the
 * canonical frame comes out whole (one chunk) with its dictionary columns. Each test compares
 * with values worked out here, row by row, so that a trimmed column read under the wrong name, a
 * batch out of order or a flag counted on the wrong column fails. Files are written by the tests.
 */
import assert from "node:assert/strict";
import { DICTIONARY_COLUMNS, ingestFile } from "../../src/ingest/ingest.ts";
import { CTQP_COLUMNS, fileConfig } from "../fixtures/configs.ts";
import { col, isoTimes, withTempDir, write } from "./helpers.ts";

/** Rows enough for the streaming engine to cut the file into many batches. */
const ROWS = 30_000;

Deno.test("mapping pass: a file of many batches maps row by row as worked out here, into one chunk", async () => {
  await withTempDir((dir) => {
    const lines = ["c,t,q,p,d,k"];
    const want = {
      id: [] as (string | null)[],
      q: [] as (number | null)[],
      d: [] as (string | null)[],
    };
    const wantTime: (string | null)[] = [];
    const wantCountry: (string | null)[] = [];
    let blanksD = 0;
    let nullWordsId = 0;
    for (let i = 0; i < ROWS; i++) {
      // Ids: padded, with a zero fraction, in scientific notation, a null word, or blank.
      const kind = i % 7;
      const idText = kind === 0
        ? ` ${10000 + i} `
        : kind === 1
        ? `${10000 + i}.0`
        : kind === 2
        ? "1.5e4"
        : kind === 3
        ? "NULL"
        : kind === 4
        ? ""
        : `${10000 + i}`;
      want.id.push(
        kind === 2 ? "15000" : kind === 3 || kind === 4 ? null : String(10000 + i),
      );
      if (kind === 3) nullWordsId++;
      // Timestamps repeat (one per 10 rows), each hour of the day once per 240 rows.
      const hour = Math.floor(i / 10) % 24;
      const t = `2011-01-0${1 + (Math.floor(i / 240) % 9)} ${String(hour).padStart(2, "0")}:00:00`;
      wantTime.push(`${t.replace(" ", "T")}.000Z`);
      // Quantities padded on one side or the other; descriptions repeated, blank or padded.
      const q = (i % 13) + 1;
      want.q.push(q);
      const dText = i % 11 === 0 ? "  " : i % 2 ? `item ${i % 50}` : ` item ${i % 50} `;
      if (i % 11 === 0) blanksD++;
      want.d.push(i % 11 === 0 ? null : `item ${i % 50}`);
      const country = i % 5 === 0 ? "n/a" : `land ${i % 3}`;
      wantCountry.push(i % 5 === 0 ? null : `land ${i % 3}`);
      lines.push(`${idText},${t},${i % 2 ? ` ${q}` : `${q} `},1.25,${dText},${country}`);
    }
    const path = write(dir, "many.csv", lines.join("\n") + "\n");
    const file = fileConfig({
      name: "many.csv",
      columns: { ...CTQP_COLUMNS, description: "d", country: "k" },
    });
    const got = ingestFile(path, file);
    const df = got.canonical;
    assert.equal(df.height, ROWS);
    assert.equal(df.nChunks(), 1, "the canonical frame comes out whole");
    for (const c of DICTIONARY_COLUMNS) {
      assert.equal(df.getColumn(c).dtype.variant, "Categorical", `${c} is a dictionary column`);
    }
    assert.deepEqual(col(df, "customer_id"), want.id);
    assert.deepEqual(col(df, "quantity"), want.q);
    assert.deepEqual(col(df, "description"), want.d);
    assert.deepEqual(col(df, "country"), wantCountry);
    assert.deepEqual(isoTimes(df), wantTime);
    assert.deepEqual(col(df, "source_row"), Array.from({ length: ROWS }, (_, i) => i + 1));
    assert.deepEqual(
      col(df, "line_value"),
      want.q.map((q) => q! * 1.25),
    );
    assert.ok(col(df, "source_file").every((x) => x === "many.csv"));
    // Counts: every null word per column; ids written differently (padded, ".0", scientific).
    assert.equal(got.summary.nullWords.customer_id, nullWordsId);
    assert.equal(got.summary.nullWords.description, 0, `${blanksD} blanks are not null words`);
    assert.equal(got.summary.nullWords.country, ROWS / 5);
    const rewritten = want.id.filter((_, i) => i % 7 <= 2).length;
    assert.equal(got.summary.customerIds.normalised, rewritten);
  });
});

Deno.test("mapping pass: a zero-width character in an id is removed in the id only, a stray mark in every column", async () => {
  await withTempDir((dir) => {
    // The id column is read twice: as the customer and as the invoice. Zero-width characters
    // go from the customer id only; the stray byte-order mark in the description goes.
    const lines = [
      "c,t,q,p,d",
      "12\u200b345,2011-01-01 10:00:00,1,1.0,a\ufeffb",
      "12346,2011-01-01 10:00:00,1,1.0,c",
    ];
    const path = write(dir, "zw.csv", lines.join("\n") + "\n");
    const file = fileConfig({
      name: "zw.csv",
      columns: { ...CTQP_COLUMNS, invoice: "c", description: "d" },
    });
    const got = ingestFile(path, file);
    assert.deepEqual(col(got.canonical, "customer_id"), ["12345", "12346"]);
    assert.deepEqual(col(got.canonical, "invoice"), ["12\u200b345", "12346"]);
    assert.deepEqual(col(got.canonical, "description"), ["ab", "c"]);
    assert.equal(got.summary.strayBoms, 1);
    assert.deepEqual(got.summary.customerIds, { normalised: 1, distinct: 1 });
  });
});
