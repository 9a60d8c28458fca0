/**
 * Tests of the edge-whitespace flags of the byte pre-pass (`TextScan.edgeSpace`) and of the
 * mapping pass that skips trimming the columns flagged clean (issue 12: trimming text costs about
 * as much as reading it). A column flagged clean must be one that trimming would not change: the
 * flags are checked against values worked out here, across a read-chunk boundary and at the end
 * of a file without a line break, and a file mapped with the flags gives exactly what it gives
 * with every column trimmed. A planted wrong flag (a padded column said clean) changes the
 * outcome, so the flags are what the mapping reads. Files are written by the tests.
 */
import assert from "node:assert/strict";
import { ingestFile } from "../../src/ingest/ingest.ts";
import { aheadOptions } from "../../src/ingest/read.ts";
import { CHUNK_BYTES, scanDelimited, type TextScan } from "../../src/ingest/text_scan.ts";
import { fileConfig } from "../fixtures/configs.ts";
import { col, withTempDir, write } from "./helpers.ts";

const OPTIONS = { file: "e.csv", delimiter: ",", header: true, fields: null };

/** The per-field flags of a CSV text: edge whitespace (by default), or bytes outside ASCII. */
function edges(dir: string, text: string, flags: "edgeSpace" | "nonAscii" = "edgeSpace"): number[] {
  return [...scanDelimited(write(dir, "e.csv", text), OPTIONS)[flags]!];
}

Deno.test("edge space: each kind of field edge is flagged, clean fields are not", async () => {
  await withTempDir((dir) => {
    // Fields: plain, leading space, trailing tab, quoted, trailing no-break space (non-ASCII),
    // leading U+3000, plain last field before a CRLF.
    const text = "a,b,c,d,e,f,g\r\n" +
      'x, y,z\t,"q",w\u00a0,\u3000v,u\r\n' +
      "x,y,z,q,w,v,u\r\n";
    assert.deepEqual(edges(dir, text), [0, 1, 1, 1, 1, 1, 0]);
    // A space before the CR of a CRLF line ending is an edge; the CR alone is not.
    assert.deepEqual(edges(dir, "a,b\r\nx,y \r\nx,y\r\n"), [0, 1]);
    // A control character at an edge (vertical tab), and an empty field (nothing to trim).
    assert.deepEqual(edges(dir, "a,b,c\n\x0bx,,y\n"), [1, 0, 0]);
    // The last field of a file without a final line break.
    assert.deepEqual(edges(dir, "a,b\nx,y\nx,y "), [0, 1]);
    assert.deepEqual(edges(dir, "a,b\nx,y\nx,y"), [0, 0]);
  });
});

Deno.test("edge space: a field's end is seen across a read-chunk boundary", async () => {
  await withTempDir((dir) => {
    // The padded field's space is the last byte of the first read chunk (or, with `lastBut`, the
    // one before it, a CR being the last), and what ends the field starts the next chunk.
    const cases = [
      { ending: ",z\n", field: 1, lastBut: 0 },
      { ending: "\n", field: 2, lastBut: 0 },
      { ending: "\r\n", field: 2, lastBut: 0 },
      { ending: "\r\n", field: 2, lastBut: 1 },
    ];
    for (const { ending, field, lastBut } of cases) {
      let text = "a,b,c\n";
      while (text.length < CHUNK_BYTES - 100) text += "x,y,z\n";
      const lead = field === 1 ? "x," : "x,y,";
      const k = CHUNK_BYTES - 1 - lastBut - text.length - lead.length;
      text += `${lead}${"v".repeat(k)} ${ending}x,y,z\n`;
      assert.equal(text.indexOf(" "), CHUNK_BYTES - 1 - lastBut);
      const want = [0, 0, 0];
      want[field] = 1;
      assert.deepEqual(edges(dir, text), want, JSON.stringify({ ending, lastBut }));
    }
  });
});

/** A CSV whose `d` (description) values are padded in many ways and whose other columns are not. */
function paddedCsv(rows: number): string {
  const pads = [" ", "\t", "\u00a0", "\u2003", "\u3000", "  "];
  const lines = ["c,t,q,p,d,k"];
  for (let i = 0; i < rows; i++) {
    const pad = pads[i % pads.length];
    const d = i % 3 === 0 ? `${pad}item ${i}` : i % 3 === 1 ? `item ${i}${pad}` : `item ${i}`;
    lines.push(`${1000 + i},2011-01-01 10:00:00,${1 + (i % 5)},2.5,${d},UK`);
  }
  return lines.join("\n") + "\n";
}

const PADDED_FILE = {
  columns: {
    customer_id: "c",
    timestamp: "t",
    quantity: "q",
    unit_price: "p",
    description: "d",
    country: "k",
  },
};

/**
 * Writes `csv` (columns as {@link PADDED_FILE}), checks its pre-pass `flags` against `want`, and
 * asserts that the file mapped with them equals the file mapped without (every column looked at).
 */
function mappedBothWays(
  dir: string,
  csv: string,
  flags: "edgeSpace" | "nonAscii",
  want: number[],
) {
  const path = write(dir, "a.csv", csv);
  const file = fileConfig(PADDED_FILE);
  const scan = scanDelimited(path, aheadOptions(file)!);
  assert.deepEqual([...scan[flags]!], want);
  const flagged = ingestFile(path, file, {}, scan);
  const all = ingestFile(path, file, {}, { ...scan, [flags]: null });
  assert.ok(flagged.canonical.frameEqual(all.canonical, true));
  assert.deepEqual(flagged.summary, all.summary);
  return { path, file, scan, flagged };
}

Deno.test("edge space: a file mapped with the flags equals the file with every column trimmed", async () => {
  await withTempDir((dir) => {
    // Only the description is flagged.
    const { flagged } = mappedBothWays(dir, paddedCsv(3_000), "edgeSpace", [0, 0, 0, 0, 1, 0]);
    // And the values are trimmed, as worked out here.
    const d = col<string>(flagged.canonical, "description");
    assert.equal(d[0], "item 0");
    assert.equal(d[1], "item 1");
    assert.equal(d[4], "item 4");
  });
});

Deno.test("edge space: a padded column planted as clean is not trimmed (the flags are read)", async () => {
  await withTempDir((dir) => {
    const path = write(dir, "a.csv", paddedCsv(30));
    const file = fileConfig(PADDED_FILE);
    const scan: TextScan = scanDelimited(path, aheadOptions(file)!);
    const planted = { ...scan, edgeSpace: new Uint8Array(scan.edgeSpace!.length) };
    const d = col<string>(ingestFile(path, file, {}, planted).canonical, "description");
    assert.equal(d[0], " item 0", "the planted flag left the padding");
  });
});

// The non-ASCII flags (`TextScan.nonAscii`): a column of ASCII text holds no byte-order mark and
// no zero-width character, so the mapping pass does not look for them there.

Deno.test("non-ASCII flags: a field with a byte outside ASCII anywhere is flagged, in or out of quotes", async () => {
  await withTempDir((dir) => {
    // Fields: plain, é inside, a zero-width space inside quotes, a BOM mid-value, plain.
    const text = "a,b,c,d,e\n" +
      'x,caf\u00e9,"q\u200bq",1\ufeff2,u\n' +
      "x,y,z,12,u\n";
    assert.deepEqual(edges(dir, text, "nonAscii"), [0, 1, 1, 1, 0]);
    // A non-ASCII header name flags its column too (looked for: harmless).
    assert.deepEqual(edges(dir, "a,\u00e9\nx,y\n", "nonAscii"), [0, 1]);
    // The file's own leading byte-order mark is no field's.
    assert.deepEqual(edges(dir, "\ufeffa,b\nx,y\n", "nonAscii"), [0, 0]);
  });
});

/** A CSV with stray byte-order marks and zero-width characters in its ids and descriptions. */
function invisibleCsv(rows: number): string {
  const lines = ["c,t,q,p,d,k"];
  for (let i = 0; i < rows; i++) {
    const c = i % 7 === 0 ? `\u200b${1000 + i}` : `${1000 + i}`;
    const d = i % 5 === 0 ? `item\ufeff ${i}` : `item ${i}`;
    lines.push(`${c},2011-01-01 10:00:00,${1 + (i % 5)},2.5,${d},UK`);
  }
  return lines.join("\n") + "\n";
}

Deno.test("non-ASCII flags: a file mapped with them equals the file looked through in every column", async () => {
  await withTempDir((dir) => {
    const { path, file, scan, flagged } = mappedBothWays(
      dir,
      invisibleCsv(3_000),
      "nonAscii",
      [1, 0, 0, 0, 1, 0],
    );
    // The invisible characters were found and removed.
    assert.equal(col<string>(flagged.canonical, "customer_id")[0], "1000");
    assert.equal(col<string>(flagged.canonical, "description")[0], "item 0");
    // A planted flag (the ids said to be ASCII) leaves their zero-width spaces: the flags are read.
    const planted = { ...scan, nonAscii: new Uint8Array(scan.nonAscii!.length) };
    const ids = col<string>(ingestFile(path, file, {}, planted).canonical, "customer_id");
    assert.equal(ids[0], "\u200b1000");
  });
});
