/**
 * Tests of data acquisition: resolution order, checksums, provenance, the download path
 * (zip → xlsx → Parquet, zip → text) against a local HTTP server started by each test, the
 * sheet → DataFrame conversion, and glob paths.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { strToU8, zipSync } from "fflate";
import type { DatasetConfig } from "../../src/config/dataset.ts";
import { loadDataset } from "../../src/config/registry.ts";
import { sha256 } from "../../src/lib/files.ts";
import { ROOT as REAL_ROOT } from "../../src/lib/paths.ts";
import { ALLOW_UNPINNED_ENV } from "../../src/acquire/download.ts";
import { DataError } from "../../src/acquire/errors.ts";
import { expandGlob } from "../../src/acquire/glob.ts";
import { MIRROR_ENV, resolveDataset, type ResolvedFile } from "../../src/acquire/resolve.ts";
import { sheetToDataFrame } from "../../src/acquire/sheet.ts";
import { openWorkbook } from "../../src/acquire/xlsx.ts";
import {
  dataset,
  fileConfig,
  fileJson,
  type JsonObject,
  ORII_2009_COLUMNS,
  ORII_2010_COLUMNS,
} from "../fixtures/configs.ts";

// ---------------------------------------------------------------------------------------------
// Fixtures

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

const HEADER = [
  "Invoice",
  "StockCode",
  "Description",
  "Quantity",
  "InvoiceDate",
  "Price",
  "Customer ID",
  "Country",
];

/** Shared strings of the fixture workbook: the header, then text values. */
const SST = [
  ...HEADER,
  "15CM CHRISTMAS GLASS BALL 20 LIGHTS",
  "United Kingdom",
  "PINK CHERRY LIGHTS",
  "EIRE",
];
const s = (text: string) => `t="s"><v>${SST.indexOf(text)}</v>`;

const headerRow = `<row r="1">${
  HEADER.map((_, i) => `<c r="${String.fromCharCode(65 + i)}1" ${s(HEADER[i])}</c>`).join("")
}</row>`;

/** Sheet "Year 2009-2010": a numeric invoice, a cancellation, a missing customer, entities. */
const SHEET_2009 = headerRow +
  `<row r="2"><c r="A2"><v>489434</v></c><c r="B2"><v>85048</v></c><c r="C2" ${
    s("15CM CHRISTMAS GLASS BALL 20 LIGHTS")
  }</c>` +
  `<c r="D2"><v>12</v></c><c r="E2" s="1"><v>40148.322916666664</v></c><c r="F2"><v>6.95</v></c>` +
  `<c r="G2"><v>13085</v></c><c r="H2" ${s("United Kingdom")}</c></row>` +
  `<row r="3"><c r="A3" t="inlineStr"><is><t>C489449</t></is></c><c r="B3" t="str"><v>79323P</v></c>` +
  `<c r="C3" t="inlineStr"><is><t>PINK &amp; WHITE</t></is></c><c r="D3"><v>-3</v></c>` +
  `<c r="E3" s="1"><v>40148.379166666666</v></c><c r="F3"><v>2.1</v></c>` +
  `<c r="H3" ${s("EIRE")}</c></row>`; // G3 (Customer ID) is missing

/** Sheet "Year 2010-2011": one row. */
const SHEET_2010 = headerRow +
  `<row r="2"><c r="A2"><v>536365</v></c><c r="B2" t="inlineStr"><is><t>85123A</t></is></c>` +
  `<c r="C2" ${
    s("PINK CHERRY LIGHTS")
  }</c><c r="D2"><v>6</v></c><c r="E2" s="1"><v>40513.35138888889</v></c>` +
  `<c r="F2"><v>2.55</v></c><c r="G2"><v>17850</v></c><c r="H2" ${s("United Kingdom")}</c></row>`;

/** A two-sheet workbook like UCI's online_retail_II.xlsx. */
function buildWorkbook(): Uint8Array {
  const sheets = [["Year 2009-2010", SHEET_2009], ["Year 2010-2011", SHEET_2010]];
  const files: Record<string, Uint8Array> = {
    "[Content_Types].xml": strToU8(
      `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
    ),
    "_rels/.rels": strToU8(
      `<Relationships><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ),
    "xl/workbook.xml": strToU8(
      `<workbook ${NS} xmlns:r="${REL}"><sheets>${
        sheets.map(([name], i) => `<sheet name="${name}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
          .join("")
      }</sheets></workbook>`,
    ),
    "xl/_rels/workbook.xml.rels": strToU8(
      `<Relationships>${
        sheets.map((_, i) =>
          `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="worksheets/sheet${
            i + 1
          }.xml"/>`
        ).join("")
      }<Relationship Id="rId9" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/>` +
        `<Relationship Id="rId8" Type="${REL}/styles" Target="styles.xml"/></Relationships>`,
    ),
    "xl/sharedStrings.xml": strToU8(
      `<sst ${NS}>${SST.map((t) => `<si><t>${t}</t></si>`).join("")}</sst>`,
    ),
    "xl/styles.xml": strToU8(
      `<styleSheet ${NS}><numFmts count="1"><numFmt numFmtId="164" formatCode="m/d/yyyy h:mm"/></numFmts>` +
        `<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>`,
    ),
  };
  sheets.forEach(([, rows], i) => {
    files[`xl/worksheets/sheet${i + 1}.xml`] = strToU8(
      `<worksheet ${NS}><sheetData>${rows}</sheetData></worksheet>`,
    );
  });
  return zipSync(files);
}

const XLSX_ARCHIVE = zipSync({ "online_retail_II.xlsx": buildWorkbook() });
const XLSX_ARCHIVE_SHA = sha256(XLSX_ARCHIVE);

const CDNOW_TEXT =
  " customer_id  date number_of_cds  dollar_value\n 00001 19970101  1   11.77\n 00002 19970112  1   12.00\n";
/** sha256 of CDNOW_TEXT, computed independently (coreutils `sha256sum`). */
const CDNOW_TEXT_SHA = "2b8557c8d8270069e127142751684e48bb1632471ca2f00c69fd36abf85e6066";
const CDNOW_ARCHIVE = zipSync({
  "CDNOW_master.txt": strToU8(CDNOW_TEXT),
  "README.txt": strToU8("readme"),
});

/** The Online Retail II dataset shape, downloading from `url`. */
function retailDataset(
  url: string,
  opts: { archiveSha?: string | null; rows?: [number, number] } = {},
) {
  return dataset({
    id: "retail",
    download: {
      url,
      sha256: opts.archiveSha === undefined ? XLSX_ARCHIVE_SHA : opts.archiveSha,
      kind: "zip-xlsx",
      member: "online_retail_II.xlsx",
    },
    files: [
      {
        name: "online_retail_II_2009-2010.parquet",
        mirrorPath: "online-retail-ii/online_retail_II_2009-2010.parquet",
        sha256: "3912928afeeb5da42d97715cc71e0db5d5535c554ebca5f898b2b39e7ad34b28",
        rows: opts.rows?.[0] ?? 2,
        format: "parquet",
        sheet: "Year 2009-2010",
        columns: ORII_2009_COLUMNS,
      },
      {
        name: "online_retail_2010-2011.parquet",
        mirrorPath: "online-retail-ii/online_retail_2010-2011.parquet",
        sha256: "399de155a1c07e4bc89d8ef4f75d619c70a6b4ed39cc76ea54d56c2c939fb72b",
        rows: opts.rows?.[1] ?? 1,
        format: "parquet",
        sheet: "Year 2010-2011",
        columns: ORII_2010_COLUMNS,
      },
    ],
  });
}

/** A CDNOW-shaped dataset downloading a zip of text files from `url`. */
function cdnowDataset(url: string | null, fileSha: string | null = CDNOW_TEXT_SHA) {
  return dataset({
    id: "cdnow",
    download: url === null
      ? null
      : { url, sha256: sha256(CDNOW_ARCHIVE), kind: "zip-text", member: "CDNOW_master.txt" },
    files: [{
      name: "CDNOW_master.txt",
      mirrorPath: "cdnow/CDNOW_master.txt",
      sha256: fileSha,
      format: "whitespace",
      header: true,
      columns: {
        customer_id: "customer_id",
        timestamp: "date",
        quantity: "number_of_cds",
        line_value: "dollar_value",
      },
      timestampFormat: "%Y%m%d",
    }],
  });
}

/** A temporary `<tmp>/main` workspace root (so that `../shared/datasets` is `<tmp>/shared/datasets`). */
async function withWorkspace(fn: (root: string, tmp: string) => Promise<void>): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "rfm-acquire-" });
  const root = join(tmp, "main");
  await Deno.mkdir(root);
  try {
    await fn(root, tmp);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** Serves `routes` (path → bytes; others 404) on 127.0.0.1 while `fn` runs; counts requests. */
async function withServer(
  routes: Record<string, Uint8Array>,
  fn: (base: string, hits: () => number) => Promise<void>,
): Promise<void> {
  let count = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    count++;
    const body = routes[new URL(req.url).pathname];
    return body === undefined
      ? new Response("not found", { status: 404, statusText: "Not Found" })
      : new Response(body as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": "application/zip" },
      });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, () => count);
  } finally {
    await server.shutdown();
  }
}

/** A fetch that fails the test when called. */
const noFetch: typeof fetch = () => Promise.reject(new Error("unexpected network access"));

async function write(path: string, data: string | Uint8Array): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** A dataset of one text file, `tiny.csv`, with the given sha256. */
function textDataset(sha: string, extra: JsonObject = {}): DatasetConfig {
  return dataset({
    id: "tiny",
    files: [fileJson({ name: "tiny.csv", mirrorPath: "tiny/tiny.csv", sha256: sha, ...extra })],
  });
}

const CSV = "c,t,q,p\n1,2020-01-01 00:00:00,1,2.5\n";
/** sha256 of CSV, computed independently (coreutils `sha256sum`). */
const CSV_SHA = "5dc5748df2951e3f04926beb7577df9a43065543875b7197f109d9b3e0b48f15";

async function rejects(p: Promise<unknown>, re: RegExp): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DataError, `expected a DataError, got ${e}`);
    assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected a DataError matching ${re}`);
}

// ---------------------------------------------------------------------------------------------
// Resolution order and checksums

Deno.test("resolution order: data/raw beats the env mirror beats ../shared beats the download", async () => {
  await withWorkspace(async (root, tmp) => {
    const ds = textDataset(CSV_SHA);
    const dsDl = {
      ...ds,
      download: {
        url: "http://127.0.0.1:9/x.zip",
        sha256: null,
        kind: "zip-text" as const,
        member: "tiny.csv",
      },
    };
    const envMirror = join(tmp, "envmirror");
    await write(join(root, "data/raw/tiny.csv"), CSV);
    await write(join(envMirror, "tiny/tiny.csv"), CSV);
    await write(join(tmp, "shared/datasets/tiny/tiny.csv"), CSV);
    const env = { [MIRROR_ENV]: envMirror };
    const run = async () =>
      (await resolveDataset(dsDl, { root, env, fetch: noFetch, log: () => {} }))[0];

    let r = await run();
    assert.deepEqual([r.origin, r.source, r.sha256], [
      "local",
      join(root, "data/raw/tiny.csv"),
      CSV_SHA,
    ]);
    await Deno.remove(join(root, "data/raw/tiny.csv"));
    r = await run();
    assert.deepEqual([r.origin, r.source], ["mirror", join(envMirror, "tiny/tiny.csv")]);
    await Deno.remove(join(envMirror, "tiny/tiny.csv"));
    r = await run();
    assert.deepEqual([r.origin, r.source], ["mirror", join(tmp, "shared/datasets/tiny/tiny.csv")]);
    // Without the env variable, ../shared/datasets is the only mirror.
    const r2 = (await resolveDataset(ds, { root, env: {}, fetch: noFetch, log: () => {} }))[0];
    assert.equal(r2.source, join(tmp, "shared/datasets/tiny/tiny.csv"));
  });
});

Deno.test("a local file with the wrong checksum is refused, naming file, path and both hashes", async () => {
  await withWorkspace(async (root, tmp) => {
    const ds = textDataset(CSV_SHA);
    const bad = CSV + "2,2020-01-02 00:00:00,1,9\n";
    const path = join(root, "data/raw/tiny.csv");
    await write(path, bad);
    await write(join(tmp, "shared/datasets/tiny/tiny.csv"), CSV); // a good copy is NOT silently used
    const e = await rejects(
      resolveDataset(ds, { root, env: {}, fetch: noFetch, log: () => {} }),
      /tiny\.csv: checksum mismatch/,
    );
    assert.ok(e.message.includes(path));
    assert.ok(e.message.includes(`expected sha256 ${CSV_SHA}`));
    // The actual hash of `bad`, computed independently (coreutils `sha256sum`).
    assert.ok(
      e.message.includes("got 7fafe45a7b31f5c9aea7c9d8a4eb899641d89851ab6923c56b5362b2a7f379a5"),
    );
  });
});

Deno.test("a mirror file with the wrong checksum is refused, even with a good copy further on", async () => {
  await withWorkspace(async (root, tmp) => {
    const ds = textDataset(CSV_SHA);
    const envMirror = join(tmp, "envmirror");
    await write(join(envMirror, "tiny/tiny.csv"), "tampered");
    await write(join(tmp, "shared/datasets/tiny/tiny.csv"), CSV);
    const e = await rejects(
      resolveDataset(ds, { root, env: { [MIRROR_ENV]: envMirror }, fetch: noFetch, log: () => {} }),
      /checksum mismatch/,
    );
    assert.ok(e.message.includes(join(envMirror, "tiny/tiny.csv")));
    assert.ok(
      e.message.includes("got d121be3103007b41edf96f8262925f8c7d61894afe9a041843b631f69445bc57"),
    );
  });
});

Deno.test("a file missing everywhere, without a download, is a clear error listing where it looked", async () => {
  await withWorkspace(async (root, tmp) => {
    const e = await rejects(
      resolveDataset(textDataset(CSV_SHA), {
        root,
        env: { [MIRROR_ENV]: join(tmp, "nope") },
        fetch: noFetch,
        log: () => {},
      }),
      /tiny\.csv: not found, and dataset "tiny" has no download configured/,
    );
    for (
      const p of [
        join(root, "data/raw/tiny.csv"),
        join(tmp, "nope/tiny/tiny.csv"),
        join(tmp, "shared/datasets/tiny/tiny.csv"),
      ]
    ) {
      assert.ok(e.message.includes(p), `message names ${p}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Download: zip → xlsx → Parquet

Deno.test("download → xlsx → Parquet: columns, types, values and exact dates; provenance reused", async () => {
  await withServer({ "/online+retail+ii.zip": XLSX_ARCHIVE }, async (base, hits) => {
    await withWorkspace(async (root) => {
      const ds = retailDataset(`${base}/online+retail+ii.zip`);
      const logs: string[] = [];
      const got = await resolveDataset(ds, { root, env: {}, log: (m) => logs.push(m) });
      assert.equal(hits(), 1, "the archive is downloaded once for both sheets");
      assert.deepEqual(got.map((r) => r.origin), ["download", "download"]);
      const raw = join(root, "data/raw");
      assert.deepEqual(await listDir(raw), [
        "online+retail+ii.zip",
        "online_retail_2010-2011.parquet",
        "online_retail_2010-2011.parquet.provenance.json",
        "online_retail_II_2009-2010.parquet",
        "online_retail_II_2009-2010.parquet.provenance.json",
      ]);

      const a = pl.readParquet(got[0].path);
      assert.deepEqual(a.columns, HEADER);
      assert.deepEqual(
        Object.fromEntries(a.columns.map((k) => [k, a.getColumn(k).dtype.variant])),
        {
          Invoice: "String",
          StockCode: "String",
          Description: "String",
          Quantity: "Int64",
          InvoiceDate: "Datetime",
          Price: "Float64",
          "Customer ID": "Float64",
          Country: "String",
        },
      );
      assert.equal(String(a.schema.InvoiceDate), "DataType(Datetime(us,))", "naive, microseconds");
      const recs = a.toRecords();
      assert.deepEqual(recs[0], {
        Invoice: "489434",
        StockCode: "85048",
        Description: "15CM CHRISTMAS GLASS BALL 20 LIGHTS",
        Quantity: 12,
        InvoiceDate: new Date("2009-12-01T07:45:00Z"),
        Price: 6.95,
        "Customer ID": 13085,
        Country: "United Kingdom",
      });
      assert.deepEqual(recs[1], {
        Invoice: "C489449",
        StockCode: "79323P",
        Description: "PINK & WHITE",
        Quantity: -3,
        InvoiceDate: new Date("2009-12-01T09:06:00Z"),
        Price: 2.1,
        "Customer ID": null,
        Country: "EIRE",
      });
      // The wall-clock time as text, exactly as the mirror's 2009-2010 file holds it.
      const asText = a.select(pl.col("InvoiceDate").dt.strftime("%Y-%m-%d %H:%M:%S")).getColumn(
        "InvoiceDate",
      );
      assert.deepEqual(asText.toArray(), ["2009-12-01 07:45:00", "2009-12-01 09:06:00"]);

      const b = pl.readParquet(got[1].path);
      assert.deepEqual(b.columns, [
        "InvoiceNo",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
      ]);
      assert.deepEqual(b.toRecords()[0], {
        InvoiceNo: "536365",
        StockCode: "85123A",
        Description: "PINK CHERRY LIGHTS",
        Quantity: 6,
        InvoiceDate: new Date("2010-12-01T08:26:00Z"),
        UnitPrice: 2.55,
        CustomerID: 17850,
        Country: "United Kingdom",
      });

      const prov = JSON.parse(await Deno.readTextFile(`${got[0].source}.provenance.json`));
      assert.deepEqual(prov, {
        url: `${base}/online+retail+ii.zip`,
        archiveSha256: XLSX_ARCHIVE_SHA,
        member: "online_retail_II.xlsx",
        sheet: "Year 2009-2010",
        rows: 2,
        sha256: got[0].sha256,
      });
      assert.ok(logs.some((m) => m.includes('converted sheet "Year 2009-2010" (2 rows)')));

      // A second run uses the converted files through their provenance: no network.
      const again = await resolveDataset(ds, { root, env: {}, fetch: noFetch, log: () => {} });
      assert.deepEqual(
        again.map((r) => [r.origin, r.sha256]),
        got.map((r) => ["download", r.sha256]),
      );
    });
  });
});

Deno.test("a converted file changed after conversion is refused (provenance check)", async () => {
  await withServer({ "/a.zip": XLSX_ARCHIVE }, async (base) => {
    await withWorkspace(async (root) => {
      const ds = retailDataset(`${base}/a.zip`);
      const [first] = await resolveDataset(ds, { root, env: {}, log: () => {} });
      const before = first.sha256;
      const df = pl.readParquet(first.source).withColumn(pl.col("Quantity").mul(10));
      df.writeParquet(first.source);
      const e = await rejects(
        resolveDataset(ds, { root, env: {}, fetch: noFetch, log: () => {} }),
        /does not match its provenance record/,
      );
      assert.ok(e.message.includes(first.source));
      assert.ok(e.message.includes(`recorded sha256 ${before}`));
      // Without the sidecar, the file is just a checksum mismatch.
      await Deno.remove(`${first.source}.provenance.json`);
      await rejects(
        resolveDataset(ds, { root, env: {}, fetch: noFetch, log: () => {} }),
        /checksum mismatch/,
      );
    });
  });
});

Deno.test("an unpinned download is refused with the hash to pin, unless explicitly allowed", async () => {
  await withServer({ "/a.zip": XLSX_ARCHIVE }, async (base) => {
    await withWorkspace(async (root) => {
      const ds = retailDataset(`${base}/a.zip`, { archiveSha: null });
      const e = await rejects(resolveDataset(ds, { root, env: {}, log: () => {} }), /not pinned/);
      assert.ok(e.message.includes(XLSX_ARCHIVE_SHA), "prints the actual hash");
      assert.ok(e.message.includes("download.sha256"), "names the config key");
      assert.ok(e.message.includes(ALLOW_UNPINNED_ENV));
      assert.ok(e.message.includes("online_retail_II_2009-2010.parquet"), "names the file");
      assert.deepEqual(await listDir(join(root, "data/raw")), [], "nothing left in data/raw");

      const logs: string[] = [];
      const got = await resolveDataset(ds, {
        root,
        env: { [ALLOW_UNPINNED_ENV]: "1" },
        log: (m) => logs.push(m),
      });
      assert.deepEqual(got.map((r) => r.origin), ["download", "download"]);
      assert.ok(
        logs.some((m) =>
          m.includes("WARNING") && m.includes("UNPINNED") && m.includes(XLSX_ARCHIVE_SHA)
        ),
      );
    });
  });
});

Deno.test("an archive whose sha256 differs from the pin is refused and not kept", async () => {
  await withServer({ "/a.zip": XLSX_ARCHIVE }, async (base) => {
    await withWorkspace(async (root) => {
      const ds = retailDataset(`${base}/a.zip`, { archiveSha: "0".repeat(64) });
      const e = await rejects(
        resolveDataset(ds, { root, env: {}, log: () => {} }),
        /checksum mismatch for the archive/,
      );
      assert.ok(
        e.message.includes(`expected sha256 ${"0".repeat(64)}`) &&
          e.message.includes(XLSX_ARCHIVE_SHA),
      );
      assert.deepEqual(await listDir(join(root, "data/raw")), []);
    });
  });
});

Deno.test("a sheet with a different row count than configured is refused and not written", async () => {
  await withServer({ "/a.zip": XLSX_ARCHIVE }, async (base) => {
    await withWorkspace(async (root) => {
      const ds = retailDataset(`${base}/a.zip`, { rows: [2, 5] });
      await rejects(
        resolveDataset(ds, { root, env: {}, log: () => {} }),
        /online_retail_2010-2011\.parquet: sheet "Year 2010-2011" .* has 1 data rows but the configuration expects 5/,
      );
      const left = await listDir(join(root, "data/raw"));
      assert.ok(!left.some((n) => n.startsWith("online_retail_2010-2011")), `left: ${left}`);
      assert.ok(!left.some((n) => n.startsWith(".tmp-")), `left: ${left}`);
    });
  });
});

Deno.test("HTTP 404 is a clear error and leaves nothing in data/raw", async () => {
  await withServer({}, async (base, hits) => {
    await withWorkspace(async (root) => {
      const ds = retailDataset(`${base}/gone.zip`);
      const e = await rejects(resolveDataset(ds, { root, env: {}, log: () => {} }), /HTTP 404/);
      assert.ok(e.message.includes(`${base}/gone.zip`));
      assert.ok(e.message.startsWith("online_retail_II_2009-2010.parquet: not in "));
      assert.equal(hits(), 1);
      assert.deepEqual(await listDir(join(root, "data/raw")), []);
    });
  });
});

Deno.test("a network failure is a DataError naming the address", async () => {
  await withWorkspace(async (root) => {
    const ds = retailDataset("http://127.0.0.1:9/a.zip");
    const failing: typeof fetch = () => Promise.reject(new TypeError("connection refused"));
    await rejects(
      resolveDataset(ds, { root, env: {}, fetch: failing, log: () => {} }),
      /127\.0\.0\.1:9\/a\.zip .*connection refused/,
    );
    assert.deepEqual(await listDir(join(root, "data/raw")), []);
  });
});

// ---------------------------------------------------------------------------------------------
// Download: zip → text

Deno.test("zip-text: the member is extracted as is and checked against the file's sha256", async () => {
  await withServer({ "/CDNOW_master.zip": CDNOW_ARCHIVE }, async (base) => {
    await withWorkspace(async (root) => {
      const [r] = await resolveDataset(cdnowDataset(`${base}/CDNOW_master.zip`), {
        root,
        env: {},
        log: () => {},
      });
      assert.equal(r.origin, "download");
      assert.equal(r.source, join(root, "data/raw/CDNOW_master.txt"));
      assert.equal(await Deno.readTextFile(r.path), CDNOW_TEXT);
      assert.equal(r.sha256, CDNOW_TEXT_SHA);
      // Next time it matches the configured sha256: a plain local file.
      const [again] = await resolveDataset(cdnowDataset(`${base}/CDNOW_master.zip`), {
        root,
        env: {},
        fetch: noFetch,
      });
      assert.equal(again.origin, "local");
    });
    await withWorkspace(async (root) => {
      const ds = cdnowDataset(`${base}/CDNOW_master.zip`, "a".repeat(64));
      await rejects(
        resolveDataset(ds, { root, env: {}, log: () => {} }),
        /CDNOW_master\.txt: checksum mismatch .*CDNOW_master\.zip!CDNOW_master\.txt/,
      );
      const left = await listDir(join(root, "data/raw"));
      assert.deepEqual(left, ["CDNOW_master.zip"], "only the verified archive is kept");
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Explicit paths and globs

Deno.test("an explicit path glob expands to one resolved file per match, named by base name", async () => {
  await withWorkspace(async (root, tmp) => {
    const base = join(tmp, "mine");
    await write(join(base, "2023/q1.csv"), CSV);
    await write(join(base, "2023/q2.csv"), CSV);
    await write(join(base, "2023/notes.txt"), "x");
    await write(join(base, "2023/.hidden.csv"), CSV);
    const cfg = (path: string, sha: string | null = null) => {
      const entry = fileJson({ path, sha256: sha });
      delete entry.name; // named after the path
      return dataset({ id: "mine", files: [entry] }, base);
    };
    const got: ResolvedFile[] = await resolveDataset(cfg("2023/*.csv"), {
      root,
      env: {},
      fetch: noFetch,
    });
    assert.deepEqual(got.map((r) => [r.file.name, r.origin, r.source]), [
      ["q1.csv", "path", join(base, "2023/q1.csv")],
      ["q2.csv", "path", join(base, "2023/q2.csv")],
    ]);
    assert.deepEqual(await expandGlob("**/q{1,3}.csv", base), [join(base, "2023/q1.csv")]);
    assert.deepEqual(await expandGlob(join(base, "20[0-9][0-9]/q?.csv"), "/"), [
      join(base, "2023/q1.csv"),
      join(base, "2023/q2.csv"),
    ]);
    await rejects(
      resolveDataset(cfg("2024/*.csv"), { root, env: {}, fetch: noFetch }),
      /the pattern "2024\/\*\.csv" .*matches no file/,
    );
    await rejects(
      resolveDataset(cfg("2023/q1.csv", "b".repeat(64)), { root, env: {}, fetch: noFetch }),
      /q1\.csv: checksum mismatch/,
    );
    const [single] = await resolveDataset(cfg("2023/q1.csv", CSV_SHA), {
      root,
      env: {},
      fetch: noFetch,
    });
    assert.deepEqual([single.origin, single.source], ["path", join(base, "2023/q1.csv")]);
    await rejects(
      resolveDataset(cfg("2023/q9.csv"), { root, env: {}, fetch: noFetch }),
      /q9\.csv .*does not exist/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Sheet → DataFrame

/** A one-sheet workbook (no shared strings: inline text) with the given header and rows. */
function oneSheet(header: string[], rows: (string | number | null)[][]): Uint8Array {
  const cell = (v: string | number | null, ref: string) =>
    v === null
      ? ""
      : typeof v === "number"
      ? `<c r="${ref}"><v>${v}</v></c>`
      : `<c r="${ref}" t="inlineStr"><is><t>${v}</t></is></c>`;
  const row = (values: (string | number | null)[], r: number) =>
    `<row r="${r}">${
      values.map((v, i) => cell(v, `${String.fromCharCode(65 + i)}${r}`)).join("")
    }</row>`;
  const body = [header, ...rows].map((v, i) => row(v, i + 1)).join("");
  return zipSync({
    "_rels/.rels": strToU8(
      `<Relationships><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ),
    "xl/workbook.xml": strToU8(
      `<workbook ${NS} xmlns:r="${REL}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    ),
    "xl/_rels/workbook.xml.rels": strToU8(
      `<Relationships><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    ),
    "xl/worksheets/sheet1.xml": strToU8(
      `<worksheet ${NS}><sheetData>${body}</sheetData></worksheet>`,
    ),
  });
}

Deno.test("sheetToDataFrame: columns found by configured name or by the known header spellings", () => {
  // The older "Online Retail" header spellings, while the configuration names the newer ones.
  const wb = openWorkbook(oneSheet(
    ["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Notes"],
    [["536365", 6, "2010-12-01 08:26:00", 2.55, 17850, "x"], ["C536379", -1, null, 27.5, null]],
  ));
  const file = fileConfig({
    name: "s.parquet",
    format: "parquet",
    columns: {
      invoice: "Invoice",
      quantity: "Quantity",
      timestamp: "InvoiceDate",
      unit_price: "Price",
      customer_id: "Customer ID",
    },
  });
  const df = sheetToDataFrame(wb, "S", file);
  // Named after the configuration, typed like the mirror's Parquet files.
  assert.deepEqual(
    Object.fromEntries(df.columns.map((c) => [c, df.getColumn(c).dtype.variant])),
    {
      Invoice: "String",
      Quantity: "Int64",
      InvoiceDate: "Datetime",
      Price: "Float64",
      "Customer ID": "Float64",
    },
  );
  assert.deepEqual(df.toRecords(), [
    {
      Invoice: "536365",
      Quantity: 6,
      InvoiceDate: new Date("2010-12-01T08:26:00Z"),
      Price: 2.55,
      "Customer ID": 17850,
    },
    { Invoice: "C536379", Quantity: -1, InvoiceDate: null, Price: 27.5, "Customer ID": null },
  ]);

  // A header with no column for a mapped field names the field, the known spellings and the header.
  const noPrice = openWorkbook(oneSheet(["Invoice", "Quantity", "InvoiceDate", "Customer ID"], []));
  assert.throws(
    () => sheetToDataFrame(noPrice, "S", file),
    (e) =>
      e instanceof DataError &&
      /no column for unit_price \(configured as "Price"; known headers: "Price", "UnitPrice"\)/
        .test(e.message) &&
      e.message.includes(
        'the header (row 1) is: "Invoice", "Quantity", "InvoiceDate", "Customer ID"',
      ),
  );
  // A fractional quantity is refused, naming the cell.
  const frac = openWorkbook(oneSheet(
    ["Invoice", "Quantity", "InvoiceDate", "Price", "Customer ID"],
    [["1", 2.5, "2010-12-01", 1, 1]],
  ));
  assert.throws(
    () => sheetToDataFrame(frac, "S", file),
    (e) =>
      e instanceof DataError && /row 2, column "Quantity" \(quantity\): expected a whole number/
        .test(e.message),
  );
});

// ---------------------------------------------------------------------------------------------
// Integration: the real default dataset through the shared mirror

const REAL_MIRROR = join(REAL_ROOT, "..", "shared", "datasets");
const haveMirror = (() => {
  try {
    return Deno.statSync(join(REAL_MIRROR, "online-retail-ii")).isDirectory;
  } catch {
    return false;
  }
})();
if (!haveMirror) console.log(`SKIP real-data acquisition test: ${REAL_MIRROR} is not present`);

Deno.test({
  name:
    "integration: the default dataset resolves through ../shared/datasets with matching checksums",
  ignore: !haveMirror,
  fn: async () => {
    const ds = await loadDataset(null, REAL_ROOT);
    const got = await resolveDataset(ds, {
      root: REAL_ROOT,
      env: {},
      fetch: noFetch,
      log: () => {},
    });
    assert.equal(got.length, ds.files.length);
    for (const [i, r] of got.entries()) {
      assert.ok(r.origin === "mirror" || r.origin === "local" || r.origin === "download", r.origin);
      if (r.origin === "mirror") {
        assert.equal(r.source, join(REAL_MIRROR, ds.files[i].mirrorPath));
        assert.equal(r.sha256, ds.files[i].sha256);
      }
    }
  },
});
