/**
 * Tests of encodings (issue #9): a file that is not valid UTF-8 stops with an error naming the
 * file, line and byte offset (never a silent U+FFFD); a declared `encoding` (latin1,
 * windows-1252, utf-16 with a byte-order mark) is decoded; the preflight reads only its sample.
 */
import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/errors.ts";
import { ingestFile, readSource } from "../../src/ingest/ingest.ts";
import { preflight } from "../../src/pipeline/stages.ts";
import { SAMPLE_CHUNK_BYTES } from "../../src/ingest/text_scan.ts";
import { transcodeToUtf8 } from "../../src/ingest/transcode.ts";
import { CTQP_COLUMNS, dataset, fileConfig, fileJson } from "../fixtures/configs.ts";
import { col, inputError, latin1, utf16, withTempDir, write } from "./helpers.ts";

const T = "2011-01-01 10:00:00";
const TEXT = `c,t,q,p,d\n1,${T},1,1.0,plain\n2,${T},1,1.0,Müller café\n3,${T},1,1.0,Ærø\n`;
const FILE = { columns: { ...CTQP_COLUMNS, description: "d" } };

Deno.test("encoding: a Latin-1 file read as UTF-8 stops, naming the file, line and byte offset", async () => {
  await withTempDir((dir) => {
    const bytes = latin1(TEXT);
    const path = write(dir, "l1.csv", bytes);
    const offset = bytes.indexOf(0xfc); // ü
    assert.equal(offset, 73);
    inputError(
      () => ingestFile(path, fileConfig({ name: "l1.csv", ...FILE })),
      "l1.csv",
      /^l1\.csv: invalid UTF-8 at line 3, byte offset 73 \(bytes 0xFC 0x6C 0x6C 0x65\) in "2,2011-01-01 10:00:00,1,1\.0,M\ufffdller/,
      /set "encoding" in its files\[\] entry to "latin1", "windows-1252" or "utf-16"/,
    );
  });
});

Deno.test("encoding: latin1 and windows-1252 are decoded as declared", async () => {
  await withTempDir((dir) => {
    const path = write(dir, "l1.csv", latin1(TEXT));
    const got = ingestFile(path, fileConfig({ name: "l1.csv", encoding: "latin1", ...FILE }));
    assert.deepEqual(col(got.canonical, "description"), ["plain", "Müller café", "Ærø"]);
    assert.equal(got.summary.transcoded, true);
    assert.equal(got.summary.encoding, "latin1");

    // Windows-1252 has printable characters where Latin-1 has controls: € (0x80), ’ (0x92).
    const cp = new Uint8Array([
      ...latin1(`c,t,q,p,d\n1,${T},1,1.0,`),
      0x80,
      ...latin1("5 voucher"),
      0x92,
      ...latin1("s\n"),
    ]);
    const p2 = write(dir, "cp.csv", cp);
    const win = ingestFile(p2, fileConfig({ name: "cp.csv", encoding: "windows-1252", ...FILE }));
    assert.deepEqual(col(win.canonical, "description"), ["€5 voucher’s"]);
    const asLatin1 = ingestFile(p2, fileConfig({ name: "cp.csv", encoding: "latin1", ...FILE }));
    assert.deepEqual(col(asLatin1.canonical, "description"), ["\u00805 voucher\u0092s"]);
  });
});

Deno.test("encoding: UTF-16 with a byte-order mark (either byte order); without one it is an error", async () => {
  await withTempDir((dir) => {
    for (const little of [true, false]) {
      const path = write(dir, `u16${little}.csv`, utf16(TEXT, little));
      const got = ingestFile(path, fileConfig({ name: "u16.csv", encoding: "utf-16", ...FILE }));
      assert.deepEqual(col(got.canonical, "description"), ["plain", "Müller café", "Ærø"]);
      assert.deepEqual(col(got.canonical, "customer_id"), ["1", "2", "3"]);
      // Read as UTF-8 it stops at byte 0, with the hint.
      inputError(
        () => ingestFile(path, fileConfig({ name: "u16.csv", ...FILE })),
        "u16.csv",
        /invalid UTF-8 at line 1, byte offset 0/,
        /UTF-16 byte-order mark: set "encoding": "utf-16"/,
      );
    }
    const bare = write(dir, "bare.csv", utf16(TEXT, true).subarray(2));
    inputError(
      () => ingestFile(bare, fileConfig({ name: "bare.csv", encoding: "utf-16", ...FILE })),
      "bare.csv",
      /does not start with a UTF-16 byte-order mark/,
    );
  });
});

Deno.test("encoding: the configuration names the allowed encodings; Parquet takes none", () => {
  assert.throws(
    () => dataset({ files: [fileJson({ encoding: "cp1252" })] }),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message ===
        'files[0].encoding: unknown encoding "cp1252" (allowed: utf-8, latin1, windows-1252, utf-16)',
  );
  assert.throws(
    () => dataset({ files: [fileJson({ format: "parquet", encoding: "latin1" })] }),
    /files\[0\]\.encoding: Parquet text is always UTF-8/,
  );
  assert.equal(fileConfig().encoding, "utf-8");
});

Deno.test("encoding: the preflight reads only the rows it inspects; the full ingest finds what lies beyond", async () => {
  await withTempDir((dir) => {
    // 5,000 good rows, then a Latin-1 byte on line 4,002 and a ragged row: a 2,000-row preflight
    // never reads that far, so it passes; the full read stops at the byte.
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},${T},1,1.0,plain`);
    const head = new TextEncoder().encode(`c,t,q,p,d\n${rows.slice(0, 4000).join("\n")}\n`);
    const tail = latin1(`4000,${T},1,1.0,Müller\n4001,x\n${rows.slice(4002).join("\n")}\n`);
    const path = write(dir, "late.csv", new Uint8Array([...head, ...tail]));
    const file = fileConfig({ name: "late.csv", path, ...FILE });
    const ds = dataset({ files: [fileJson({ name: "late.csv", path, ...FILE })] });
    preflight(ds, [{ file, path }]);
    assert.equal(readSource(path, file, 2000).height, 2000);
    inputError(
      () => ingestFile(path, file),
      "late.csv",
      new RegExp(
        `invalid UTF-8 at line 4002, byte offset ${
          head.length + "4000,,1,1.0,M".length + T.length
        } `,
      ),
    );
    // Transcoded, the preflight sample is transcoded alone, and both reads agree.
    const declared = { ...file, encoding: "latin1" as const };
    assert.equal(readSource(path, declared, 2000).height, 2000);
    const full = ingestFile(path, declared);
    assert.equal(full.rowsRead, 5000);
    assert.deepEqual(full.summary.quarantined, { ragged_row: 1, truncated_line: 0 });
    assert.equal(col(full.canonical, "description")[4000], "Müller");
  });
});

Deno.test("encoding: a transcoded sample spanning several read chunks is the full transcoding's prefix", async () => {
  await withTempDir((dir) => {
    // 1.2 MB of Latin-1 text (ü and é on every line), and its UTF-16 form with a surrogate pair
    // astride the first and third chunk boundaries; the sample stops past its third chunk.
    const line = (i: number) => `${i},${T},1,1.0,Müller café ${"x".repeat(i % 37)}`;
    const text = `c,t,q,p,d\n${Array.from({ length: 20_000 }, (_, i) => line(i)).join("\n")}\n`;
    // (after the 2-byte mark, UTF-16 unit u sits at bytes 2 + 2u: a chunk ends after unit
    // SAMPLE_CHUNK_BYTES / 2 - 2, where the pair's first half goes)
    let emoji = text;
    for (const chunk of [3, 1]) {
      const at = (chunk * SAMPLE_CHUNK_BYTES) / 2 - 2;
      emoji = emoji.slice(0, at) + "😀" + emoji.slice(at);
    }
    const sampleLines = 15_000;
    for (
      const [name, bytes, enc, want] of [
        ["l1.csv", latin1(text), "latin1", text],
        ["u16.csv", utf16(emoji, true), "utf-16", emoji],
      ] as const
    ) {
      const src = write(dir, name, bytes);
      assert.ok(bytes.length > 4 * SAMPLE_CHUNK_BYTES, `${name} spans more than four chunks`);
      const full = `${dir}/${name}.full`;
      const part = `${dir}/${name}.part`;
      const all = transcodeToUtf8(src, full, enc, name);
      assert.equal(all.prefix, false);
      assert.equal(Deno.readTextFileSync(full), want);
      const sample = transcodeToUtf8(src, part, enc, name, sampleLines);
      assert.equal(sample.prefix, true);
      const got = Deno.readTextFileSync(part);
      assert.ok(want.startsWith(got), `${name}: the sample is a prefix of the file`);
      assert.ok(got.split("\n").length > sampleLines, `${name}: the sample holds its lines`);
      assert.ok(sample.bytesIn > 3 * SAMPLE_CHUNK_BYTES, `${name}: the sample spans 4+ chunks`);
      assert.ok(sample.bytesIn < bytes.length, `${name}: the sample stopped early`);
    }
  });
});
