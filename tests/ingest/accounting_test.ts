/**
 * Tests of row accounting (issue #9): every physical record of a text file is accounted for
 * exactly — the header, blank records (skipped and counted), data rows; a row with the wrong
 * number of fields is quarantined as `ragged_row` (expected and found field counts listed), a
 * final line cut short as `truncated_line` — and rows in = kept + quarantined through cleaning.
 */
import assert from "node:assert/strict";
import { ingestFile, readSource } from "../../src/ingest/ingest.ts";
import { cleanIngested, ingestSources } from "../../src/pipeline/stages.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import type { FileConfig } from "../../src/config/dataset.ts";
import { CTQP_COLUMNS, dataset, fileConfig, fileJson } from "../fixtures/configs.ts";
import { col, inputError, withTempDir, write } from "./helpers.ts";

const T = "2011-01-01 10:00:00";
const COLUMNS = { ...CTQP_COLUMNS, country: "n" };
const quiet = () => new Progress(() => {});

/** Ingest and clean one file through the pipeline stages. */
function run(path: string, file: FileConfig) {
  const ds = dataset({ files: [fileJson({ name: file.name, path, columns: file.columns })] });
  const ingested = ingestSources(ds, [{ file, path }], quiet());
  return { ingested, cleaned: cleanIngested(ds, ingested, quiet()) };
}

Deno.test("accounting: 4,100 records with blank and space-only lines are 4,100 rows in, not 4,103 or 4,110", async () => {
  await withTempDir((dir) => {
    const lines = ["c,t,q,p,n"];
    for (let i = 0; i < 4100; i++) {
      // Distinct times, so that no line is a duplicate of another.
      const day = String(1 + (i % 28)).padStart(2, "0");
      const min = String(Math.floor(i / 28) % 60).padStart(2, "0");
      const sec = String(Math.floor(i / 1680)).padStart(2, "0");
      lines.push(`${1 + (i % 50)},2011-01-${day} 10:${min}:${sec},1,2.5,DE`);
      if (i === 10 || i === 2000) lines.push(""); // blank lines
      if (i === 20) lines.push("\r"); // a blank CRLF line
      if (i >= 100 && i < 107) {
        lines.push(["   ", "\t", " \t ", ",,,,", " , ,,,", "", "  "][i - 100]);
      }
    }
    const path = write(dir, "b.csv", lines.join("\n") + "\n");
    const file = fileConfig({ name: "b.csv", columns: COLUMNS });
    const got = ingestFile(path, file);
    assert.equal(got.rowsRead, 4100);
    assert.equal(got.canonical.height, 4100);
    const s = got.summary;
    assert.deepEqual(
      { records: s.records, header: s.header, blank: s.blankLines, rows: s.rows },
      { records: 4111, header: 1, blank: 10, rows: 4100 },
    );
    assert.equal(s.accountedFor, true);
    // source_row numbers data rows, blank lines not counted.
    assert.deepEqual(col(got.canonical, "source_row").slice(-2), [4099, 4100]);
    const { cleaned } = run(path, file);
    assert.deepEqual(
      [cleaned.report.total.rows_in, cleaned.report.total.rows_kept],
      [4100, 4100],
    );
    assert.equal(cleaned.report.total.reconciles, true);
  });
});

Deno.test("accounting: ragged rows (an unquoted delimiter, a missing last field) and a truncated last line are quarantined with their reasons", async () => {
  await withTempDir((dir) => {
    const text = [
      "c,t,q,p,n",
      `1,${T},1,2.5,DE`,
      `2,${T},1,2.5,"Korea, Republic of"`, // quoted: one field
      `3,${T},1,2.5,Korea, Republic of`, // unquoted: 6 fields
      `4,${T},1,2.5`, // the last field missing: 4 fields
      "",
      `5,${T},1,2.5,"Tin robot,`, // a quoted field over two lines
      ` blue"`,
      `6,${T},1,2.5,FR`,
      `7,2011-01-0`, // cut short: no line break at the end
    ].join("\n");
    const path = write(dir, "r.csv", text);
    const file = fileConfig({ name: "r.csv", columns: COLUMNS });
    const got = ingestFile(path, file);
    assert.equal(got.rowsRead, 7);
    assert.deepEqual(col(got.canonical, "ingest_reason"), [
      null,
      null,
      "ragged_row",
      "ragged_row",
      null,
      null,
      "truncated_line",
    ]);
    assert.deepEqual(col(got.canonical, "country"), [
      "DE",
      "Korea, Republic of",
      null,
      null,
      "Tin robot,\n blue",
      "FR",
      null,
    ]);
    assert.deepEqual(col(got.canonical, "source_row"), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(got.summary.problems, [
      { row: 3, line: 4, reason: "ragged_row", expected: 5, found: 6 },
      { row: 4, line: 5, reason: "ragged_row", expected: 5, found: 4 },
      { row: 7, line: 10, reason: "truncated_line", expected: 5, found: 2 },
    ]);
    assert.deepEqual(
      {
        records: got.summary.records,
        lines: got.summary.lines,
        blank: got.summary.blankLines,
        quarantined: got.summary.quarantined,
      },
      { records: 9, lines: 10, blank: 1, quarantined: { ragged_row: 2, truncated_line: 1 } },
    );

    // Through cleaning: rows in = kept + quarantined, each quarantined row with its reason.
    const { cleaned } = run(path, file);
    const t = cleaned.report.total;
    assert.deepEqual([t.rows_in, t.rows_kept, t.rows_dropped], [7, 4, 3]);
    assert.deepEqual([t.dropped.ragged_row, t.dropped.truncated_line], [2, 1]);
    assert.deepEqual(
      cleaned.quarantine.select("source_row", "reason").toRecords(),
      [
        { source_row: 3, reason: "ragged_row" },
        { source_row: 4, reason: "ragged_row" },
        { source_row: 7, reason: "truncated_line" },
      ],
    );
    assert.deepEqual(cleaned.ingest?.[0].quarantined, { ragged_row: 2, truncated_line: 1 });
  });
});

Deno.test("accounting: an open quote at the end of the file is a truncated line; a complete last line without a line break is kept", async () => {
  await withTempDir((dir) => {
    const file = (name: string) => fileConfig({ name, columns: COLUMNS });
    const open = write(dir, "o.csv", `c,t,q,p,n\n1,${T},1,2.5,DE\n2,${T},1,2.5,"Tin rob`);
    const got = ingestFile(open, file("o.csv"));
    assert.deepEqual(col(got.canonical, "ingest_reason"), [null, "truncated_line"]);
    assert.deepEqual(got.summary.problems, [
      { row: 2, line: 3, reason: "truncated_line", expected: 5, found: 5 },
    ]);
    const whole = write(dir, "w.csv", `c,t,q,p,n\n1,${T},1,2.5,DE\n2,${T},1,2.5,FR`);
    const ok = ingestFile(whole, file("w.csv"));
    assert.deepEqual(col(ok.canonical, "country"), ["DE", "FR"]);
    assert.equal(ok.canonical.columns.includes("ingest_reason"), false);
    // TSV and whitespace text follow the same accounting.
    const tsv = write(dir, "t.tsv", `c\tt\tq\tp\tn\n1\t${T}\t1\t2.5\tDE\n\n2\t${T}\t1\n`);
    const t = ingestFile(tsv, fileConfig({ name: "t.tsv", format: "tsv", columns: COLUMNS }));
    assert.deepEqual(col(t.canonical, "ingest_reason"), [null, "ragged_row"]);
    assert.equal(t.summary.blankLines, 1);
  });
});

Deno.test("accounting: malformed quotes and a wrong delimiter are errors naming the line", async () => {
  await withTempDir((dir) => {
    const q = write(dir, "q.csv", `c,t,q,p,n\n1,${T},1,2.5,DE\n2,${T},1,2.5,12" pipe\n`);
    inputError(
      () => readSource(q, fileConfig({ name: "q.csv", columns: COLUMNS })),
      "q.csv",
      /^q\.csv: line 3, byte offset 71: a quote inside an unquoted field in "2,2011-01-01 10:00:00,1,2\.5,12\\" pipe/,
    );
    const after = write(dir, "a.csv", `c,t,q,p,n\n1,${T},1,2.5,"DE"x\n`);
    inputError(
      () => readSource(after, fileConfig({ name: "a.csv", columns: COLUMNS })),
      "a.csv",
      /line 2, byte offset 42: text after a closing quote/,
    );
    // Semicolons read as CSV: every line is one field, so the wrong delimiter shows as missing
    // columns, listing the one the file has.
    const semi = write(dir, "s.csv", `c;t;q;p;n\n1;${T};1;2.5;DE\n`);
    inputError(
      () => readSource(semi, fileConfig({ name: "s.csv", columns: COLUMNS })),
      "s.csv",
      /column "c" \(mapped as customer_id\) is missing; the file has: c;t;q;p;n/,
    );
    // A header with five fields over rows with six everywhere: no row fits, so it is the
    // configuration (or the export), not a few bad rows.
    const six = write(dir, "six.csv", `c,t,q,p,n\n1,${T},1,2.5,DE,x\n2,${T},1,2.5,FR,y\n`);
    inputError(
      () => readSource(six, fileConfig({ name: "six.csv", columns: COLUMNS })),
      "six.csv",
      /expected 5 fields \(c, t, q, p, n\), found 6 on line 2, and no data row has 5/,
    );
  });
});

Deno.test("accounting: many quarantined rows (hundreds) come back in source order", async () => {
  await withTempDir((dir) => {
    const lines = ["c,t,q,p,n"];
    for (let i = 1; i <= 900; i++) {
      lines.push(i % 3 === 0 ? `${i},${T},1` : `${i},${T},1,2.5,DE`);
    }
    const path = write(dir, "m.csv", lines.join("\n") + "\n");
    const got = ingestFile(path, fileConfig({ name: "m.csv", columns: COLUMNS }));
    assert.equal(got.rowsRead, 900);
    assert.deepEqual(got.summary.quarantined, { ragged_row: 300, truncated_line: 0 });
    assert.equal(got.summary.problems.length, 20); // the first 20 listed
    const reasons = col<string | null>(got.canonical, "ingest_reason");
    const ids = col<string | null>(got.canonical, "customer_id");
    for (let i = 1; i <= 900; i++) {
      assert.equal(reasons[i - 1], i % 3 === 0 ? "ragged_row" : null, `row ${i}`);
      assert.equal(ids[i - 1], i % 3 === 0 ? null : String(i), `row ${i}`);
    }
    assert.deepEqual(
      col(got.canonical, "source_row"),
      Array.from({ length: 900 }, (_, i) => i + 1),
    );
  });
});
