/**
 * Tests of the byte-level pre-pass (`text_scan.ts`) against a reference worked out here on the
 * whole text (RFC 4180 records split by a plain string parser): a file of several read chunks,
 * with quoted fields holding delimiters, line breaks, doubled quotes and multi-byte characters
 * (some across a chunk boundary), padded fields, blank lines and ragged rows, so that the fast
 * paths over plain bytes (unquoted and quoted) must agree with the byte-by-byte states.
 */
import assert from "node:assert/strict";
import { CHUNK_BYTES, SAMPLE_CHUNK_BYTES, scanDelimited } from "../../src/ingest/text_scan.ts";
import { withTempDir, write } from "./helpers.ts";

/** Records of RFC 4180 text: for each, its first line, field count, and whether it is blank. */
function referenceRecords(text: string, delim: string) {
  const out: { line: number; fields: number; blank: boolean }[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const start = line;
    let fields = 1;
    let content = false;
    let quoted = false;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') i++;
          else quoted = false;
        } else if (ch === "\n") line++;
        continue;
      }
      if (ch === "\n") {
        line++;
        i++;
        break;
      }
      if (ch === delim) fields++;
      else if (ch === '"') {
        quoted = true;
        content = true;
      } else if (ch !== " " && ch !== "\t" && ch !== "\r") content = true;
    }
    out.push({ line: start, fields, blank: !content });
  }
  return out;
}

/** Text of every kind of record (see the module notes), in order, until it passes `minBytes`. */
function mixedText(minBytes: number): string {
  const parts = ["id,name,note,value\n"];
  let size = parts[0].length;
  let i = 0;
  // Past two read chunks, so that records and multi-byte characters straddle boundaries.
  while (size < minBytes) {
    let rec: string;
    switch (i % 9) {
      case 0:
        rec = `${i},"Smith, John","line one\nline two",1.5\n`;
        break;
      case 1:
        rec = `${i}, padded ,"say ""hi"" there",2\n`;
        break;
      case 2:
        rec = `${i},Zoë Ünïcødé 😀,"quoted ünïcødé, 😀",3\n`;
        break;
      case 3:
        rec = ",,,\n"; // blank: delimiters only
        break;
      case 4:
        rec = `${i},Korea, Republic of,x,4\n`; // ragged: an unquoted delimiter
        break;
      case 5:
        rec = `${i},"",${"long text ".repeat(20)},5\r\n`;
        break;
      case 6:
        rec = "   \n"; // blank: spaces only
        break;
      case 7:
        rec = `${i},a!b#c,~tilde~,6\n`;
        break;
      default:
        rec = `${i},short\n`; // ragged: too few fields
    }
    parts.push(rec);
    size += new TextEncoder().encode(rec).length;
    i++;
  }
  return parts.join("");
}

Deno.test("text scan: a file of several chunks is accounted for as a whole-text parser sees it", async () => {
  await withTempDir((dir) => {
    const text = mixedText(2 * CHUNK_BYTES + 100_000);
    const path = write(dir, "big.csv", text);
    const scan = scanDelimited(path, {
      file: "big.csv",
      delimiter: ",",
      header: true,
      fields: null,
    });
    const recs = referenceRecords(text, ",");
    const header = recs[0];
    const data = recs.slice(1).filter((r) => !r.blank);
    const problems = data.map((r, k) => ({ ...r, row: k + 1 }))
      .filter((r) => r.fields !== header.fields);
    assert.ok(scan.bytes > 2 * CHUNK_BYTES);
    assert.equal(scan.records, recs.length);
    assert.equal(scan.lines, text.split("\n").length - 1);
    assert.equal(scan.blankLines, recs.filter((r) => r.blank).length);
    assert.equal(scan.rows, data.length);
    assert.equal(scan.goodRows, data.length - problems.length);
    assert.equal(scan.ragged, problems.length);
    assert.equal(scan.truncated, 0);
    assert.deepEqual(
      Array.from(scan.problemRows.subarray(0, scan.problemCount)),
      problems.map((p) => p.row),
    );
    assert.deepEqual(
      scan.examples.map((e) => [e.row, e.line, e.found]),
      problems.slice(0, scan.examples.length).map((p) => [p.row, p.line, p.fields]),
    );
  });
});

Deno.test("text scan: a quote inside an unquoted field after plain bytes is still an error", async () => {
  await withTempDir((dir) => {
    const path = write(dir, "q.csv", 'a,b\nplain text 12" pipe,1\n');
    assert.throws(
      () => scanDelimited(path, { file: "q.csv", delimiter: ",", header: true, fields: null }),
      /line 2, byte offset 17: a quote inside an unquoted field/,
    );
  });
});

Deno.test("text scan: a sample (maxRows) is read in small chunks and accounted for as a whole scan", async () => {
  await withTempDir((dir) => {
    const text = mixedText(3 * SAMPLE_CHUNK_BYTES + 50_000);
    const path = write(dir, "big.csv", text);
    const o = { file: "big.csv", delimiter: ",", header: true, fields: null };
    const whole = scanDelimited(path, o);
    assert.ok(whole.bytes > 3 * SAMPLE_CHUNK_BYTES && whole.bytes < CHUNK_BYTES);
    // Every row, in small chunks: the same findings as one chunk.
    const all = scanDelimited(path, { ...o, maxRows: whole.rows + 1 });
    for (const k of ["bytes", "records", "lines", "blankLines", "rows", "goodRows", "ragged"]) {
      assert.equal(all[k as keyof typeof all], whole[k as keyof typeof whole], k);
    }
    assert.deepEqual(
      Array.from(all.problemRows.subarray(0, all.problemCount)),
      Array.from(whole.problemRows.subarray(0, whole.problemCount)),
    );
    // Stopped past two small chunks: the rows of the reference up to there.
    const recs = referenceRecords(text, ",").slice(1).filter((r) => !r.blank);
    const n = Math.floor(recs.length * 0.8);
    const sample = scanDelimited(path, { ...o, maxRows: n });
    assert.equal(sample.rows, n);
    assert.ok(sample.bytes > 2 * SAMPLE_CHUNK_BYTES);
    assert.equal(sample.ragged, recs.slice(0, n).filter((r) => r.fields !== 4).length);
  });
});
