/**
 * The data stage in parts (`streamed.ts`) against the whole-table path (`ingestAndClean`): the
 * same kept lines and quarantine (every column, in order), the same cleaning report, examples
 * and customer table, and files holding the same rows; on a two-file fixture that exercises every
 * rule, including those decided over all lines across the two files (implausible timestamps,
 * duplicates, cancelled orders, extreme values), and on the default dataset when its files are
 * here. Also: the spill folder goes after a run and after a failed one, and `build --stream`
 * through the public command.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pl from "nodejs-polars";
import type { DatasetConfig } from "../../src/config/dataset.ts";
import { defaultSources } from "../fixtures/default_sources.ts";
import { retailCsvDataset } from "../fixtures/configs.ts";
import { asPlainText, providedColumns } from "../../src/ingest/ingest.ts";
import {
  type CleanStage,
  ingestAndClean,
  reasonExamples,
  rfmStage,
  rfmStageOfParts,
  type SourceFile,
} from "../../src/pipeline/stages.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { PART_ROWS, streamedClean, type StreamedLines } from "../../src/pipeline/streamed.ts";
import { CustomerMetricsInParts } from "../../src/rfm/parts.ts";
import { STREAM_AUTO_BYTES, streamedRun } from "../../src/pipeline/run.ts";
import { shouldKeepFreedMemory } from "../../src/lib/memory.ts";
import {
  applyRowRules,
  completeRowReason,
  planRules,
  RULES,
  timestampLimits,
} from "../../src/clean/rules.ts";
import { buildArgs, findPublic, run, withShop } from "./shop_fixture.ts";

const quiet = () => new Progress(() => {});
const HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country";

/**
 * Two files of one shop. The first: ordinary purchases, a purchase cancelled in the second file,
 * a line repeated in the second file, an implausible date, rule 1–10 cases. The second: the
 * cancellation, the repeat, a repeat within the file, an outlier, a ragged line and a last line
 * cut short.
 */
function fixture(dir: string): { ds: DatasetConfig; sources: SourceFile[] } {
  const a = [HEADER];
  // (enough lines that the two implausible dates fall outside the 1st to 99th percentile)
  for (let i = 0; i < 240; i++) {
    const cust = ["17850", "13047.0", " 12583 "][i % 3];
    const day = String(1 + (i % 27)).padStart(2, "0");
    a.push(
      `${1000 + i},A${i % 5},Mug ${i % 5},${1 + (i % 4)},2011-03-${day} 10:${
        String(i % 60).padStart(2, "0")
      }:00,${(2.5 + (i % 7) * 0.35).toFixed(2)},${cust},United Kingdom`,
    );
  }
  a.push("600,A1,Mug 1,2,2011-04-01 09:00:00,3.10,17850,United Kingdom"); // cancelled in b
  a.push("602,A2,Mug 2,1,2011-04-03 09:00:00,2.50,13047,France"); // repeated in b
  a.push("603,A3,Mug 3,1,2011-04-04 09:00:00,2.50,,United Kingdom"); // null id
  a.push("606,POST,Postage,1,2011-04-07 09:00:00,18,12583,Germany"); // non-product
  a.push("A607,B,Bad debt,1,2011-04-08 09:00:00,10,12583,Germany"); // adjustment
  a.push("608,A0,Mug 0,0,2011-04-09 09:00:00,2.5,12583,Germany"); // zero quantity
  a.push("609,A0,Mug 0,1,2011-04-09 09:00:00,0,12583,Germany"); // zero price
  a.push("610,A0,Mug 0,1,,2.5,12583,Germany"); // missing timestamp
  a.push("611,A0,Mug 0,1,2099-01-01 00:00:00,2.5,12583,Germany"); // future
  a.push("612,A0,Mug 0,1,1971-01-01 00:00:00,2.5,12583,Germany"); // implausible
  a.push("C613,A0,Mug 0,-1,1971-01-02 00:00:00,2.5,12583,Germany"); // implausible, not a cancel
  const b = [HEADER];
  for (let i = 0; i < 30; i++) {
    b.push(
      `${700 + i},A${i % 4},Mug ${i % 4},${1 + (i % 3)},2011-05-${
        String(1 + (i % 28)).padStart(2, "0")
      } 11:00:00,${(2.4 + (i % 5) * 0.4).toFixed(2)},${["17850", "14000"][i % 2]},France`,
    );
  }
  b.push("C601,A1,Mug 1,-2,2011-04-02 09:00:00,3.10,17850,United Kingdom"); // reverses a's 600
  b.push("C614,A3,Mug 3,-7,2011-05-02 09:00:00,2.50,14000,France"); // reverses nothing
  b.push("602,A2,Mug 2,1,2011-04-03 09:00:00,2.50,13047,France"); // repeats a's line
  b.push("615,A2,Mug 2,1,2011-05-03 09:00:00,2.50,14000,France");
  b.push("615,A2,Mug 2,1,2011-05-03 09:00:00,2.50,14000,France"); // repeat within b
  b.push("605,A4,Mug 4,5000,2011-05-06 09:00:00,900,14000,Germany"); // outlier
  b.push("616,A0,Mug 0,1,2011-05-07 09:00:00,2.5,14000,France,extra"); // ragged
  b.push("617,A0,Mug 0,1,2011-05-08 09:00:00"); // cut short, no line break
  Deno.writeTextFileSync(join(dir, "a.csv"), a.join("\n") + "\n");
  Deno.writeTextFileSync(join(dir, "b.csv"), b.join("\n"));
  return retailCsvDataset(dir, ["a.csv", "b.csv"]);
}

/** Runs `fn` on the {@link fixture} in a temporary folder of its own, deleted after. */
async function withFixture(
  fn: (f: { ds: DatasetConfig; sources: SourceFile[] }) => void | Promise<void>,
): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "streamed-fixture-" });
  try {
    await fn(fixture(dir));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Asserts that a streamed clean stage gives what the whole-table one does. */
async function assertSameStage(
  ds: DatasetConfig,
  whole: CleanStage,
  streamed: CleanStage,
  keep: StreamedLines,
): Promise<void> {
  assert.deepEqual(streamed.report, whole.report);
  assert.deepEqual(streamed.rowsIn, whole.rowsIn);
  assert.deepEqual(streamed.ingest, whole.ingest);
  assert.deepEqual(streamed.examples, reasonExamples(whole.quarantine));
  if (keep === "all") {
    assert(streamed.kept.frameEqual(whole.kept, true), "kept lines differ");
    assert(streamed.quarantine.frameEqual(whole.quarantine, true), "quarantine differs");
  } else {
    // --until rfm: no line held, the customer metrics gathered file by file instead.
    for (const k of ["kept", "quarantine"] as const) {
      assert.equal(streamed[k].height, 0);
      assert.deepEqual(streamed[k].columns, whole[k].columns);
    }
    assert(streamed.customerParts, "the customer metrics in parts");
  }
  const features = keep === "all";
  const a = rfmStage(ds, whole.kept, quiet(), whole.quarantine, { features });
  const b = streamed.customerParts
    ? rfmStageOfParts(ds, streamed.customerParts, quiet())
    : rfmStage(ds, streamed.kept, quiet(), streamed.quarantine, { features });
  assert(a.customers.frameEqual(b.customers, true), "customer tables differ");
  assert.equal(JSON.stringify(b.summary), JSON.stringify(a.summary));
  // The files: the same rows as the whole-table path writes.
  const dir = Deno.makeTempDirSync({ prefix: "streamed-files-" });
  try {
    await streamed.writers!.kept(join(dir, "k.parquet"));
    await streamed.writers!.quarantine(join(dir, "q.parquet"));
    const read = (f: string) => pl.readParquet(join(dir, f));
    assert(read("k.parquet").frameEqual(asPlainText(whole.kept), true), "kept file differs");
    assert(read("q.parquet").frameEqual(asPlainText(whole.quarantine), true), "quarantine file");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The spill folders of this process's runs left in the system's temporary folder. */
function spills(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith("rfm-spill-"));
}

Deno.test("streamed: two files, every rule, the same stage as the whole table", () =>
  withFixture(async ({ ds, sources }) => {
    const whole = ingestAndClean(ds, sources, quiet());
    // The fixture exercises what it is meant to (not vacuous), across the two files.
    const dropped = whole.report.total.dropped;
    for (const { code } of RULES) assert(dropped[code] > 0, code);
    assert.equal(dropped.duplicate, 2); // one across the files, one within b
    assert.equal(dropped.implausible_timestamp, 2);
    assert.equal(whole.report.unmatchedReturns.lines, 1);
    const before = spills();
    // A part per file, and parts of a few lines (the rules over all lines then span parts).
    for (const partRows of [PART_ROWS, 37]) {
      for (const keep of ["all", "rfm"] as const) {
        const s = await streamedClean(ds, sources, quiet(), keep, undefined, partRows);
        await assertSameStage(ds, whole, s.stage, keep);
        s.dispose();
      }
    }
    assert.deepEqual(spills(), before, "the spill folders are deleted");
    await assert.rejects(
      () => streamedClean(ds, sources, quiet(), "rfm", undefined, 0),
      /partRows must be a positive integer, got 0/,
    );
    assert.deepEqual(spills(), before, "a refused setting leaves no spill folder");
  }));

Deno.test("streamed: a planted difference fails the comparison", () =>
  withFixture(async ({ ds, sources }) => {
    const whole = ingestAndClean(ds, sources, quiet());
    const s = await streamedClean(ds, sources, quiet(), "all");
    try {
      const lost = { ...s.stage, kept: s.stage.kept.head(s.stage.kept.height - 1) };
      await assert.rejects(() => assertSameStage(ds, whole, lost, "all"), /kept lines differ/);
      const moved = {
        ...s.stage,
        quarantine: s.stage.quarantine.withColumns(
          pl.when(pl.col("reason").eq(pl.lit("duplicate"))).then(pl.lit("non_product"))
            .otherwise(pl.col("reason")).alias("reason"),
        ),
      };
      await assert.rejects(() => assertSameStage(ds, whole, moved, "all"), /quarantine differs/);
    } finally {
      s.dispose();
    }
  }));

Deno.test("streamed --until rfm: an analysis date inside the data, and a part left out", () =>
  withFixture(async ({ ds, sources }) => {
    // Lines on or after the date are left out of the metrics, with a warning, in both paths.
    const dated = { ...ds, analysisDate: "2011-04-05" };
    const whole = ingestAndClean(dated, sources, quiet());
    const s = await streamedClean(dated, sources, quiet(), "rfm");
    try {
      await assertSameStage(dated, whole, s.stage, "rfm");
      const a = rfmStage(dated, whole.kept, quiet(), whole.quarantine, { features: false });
      assert.match(JSON.stringify(a.summary), /are on or after the analysis date 2011-04-05/);
      // Planted faults: a part's first line lost; the second part, all after the date, lost.
      const file = (f: string) => whole.kept.filter(pl.col("source_file").eq(pl.lit(f)));
      const planted = (...parts: pl.DataFrame[]) => {
        const p = new CustomerMetricsInParts(dated.analysisDate);
        for (const part of parts) p.add(part);
        return assertSameStage(dated, whole, { ...s.stage, customerParts: p }, "rfm");
      };
      await assert.rejects(
        () => planted(file("a.csv").slice({ offset: 1, length: 1e9 }), file("b.csv")),
        /customer tables/,
      );
      await assert.rejects(() => planted(file("a.csv")), /clean lines are on or after/);
    } finally {
      s.dispose();
    }
  }));

Deno.test("completeRowReason gives the reasons applyRowRules gives on all rows", () =>
  withFixture(({ ds, sources }) => {
    const tx = ingestAndClean(ds, sources, quiet());
    // The rows as read: kept and dropped together, in source order.
    const all = pl.concat([
      tx.kept,
      tx.quarantine.drop("reason"),
    ]).sort(["source_file", "source_row"]);
    const rules = planRules(
      ds.cleaning,
      Object.fromEntries(ds.files.map((f) => [f.name, providedColumns(f)])),
    );
    const now = Date.now();
    const limits = timestampLimits(all, ds.cleaning, now);
    const whole = applyRowRules(all, rules, ds.cleaning, now).getColumn("reason");
    const partial = applyRowRules(all, rules, ds.cleaning, now, {
      limits: { ...limits, low: null, high: null },
      duplicates: [],
      offset: 0,
    });
    const dup = pl.Series("__dup", whole.toArray().map((r) => r === 12));
    const complete = (l: typeof limits) =>
      partial.withColumns(dup).select(
        completeRowReason(pl.col("reason"), rules, l, pl.col("__dup")),
      )
        .getColumn("reason");
    assert.deepEqual(complete(limits).toArray(), whole.toArray());
    assert(whole.toArray().includes(5), "some implausible timestamp");
    // Planted fault: without the limits over all rows, the implausible rows are missed.
    const wide = { ...limits, low: null, high: null };
    assert.notDeepEqual(complete(wide).toArray(), whole.toArray());
  }));

Deno.test("streamed: a failed run leaves no spill folder", () =>
  withFixture(async ({ ds, sources }) => {
    const before = spills();
    // Every line is a cancellation under this definition: nothing is kept, the run stops.
    const none = {
      ...ds,
      cleaning: {
        ...ds.cleaning,
        cancellation: { rule: "pattern" as const, prefix: null, pattern: "." },
      },
    };
    await assert.rejects(() => streamedClean(none, sources, quiet(), "rfm"), /nothing to analyse/);
    assert.deepEqual(spills(), before);
  }));

Deno.test("streamedRun: auto by the files' size; on refused where it cannot run", () =>
  withFixture(({ ds }) => {
    assert.equal(streamedRun(ds, STREAM_AUTO_BYTES - 1), false);
    assert.equal(streamedRun(ds, STREAM_AUTO_BYTES), true);
    assert.equal(streamedRun(ds, 10, "on"), true);
    assert.equal(streamedRun(ds, STREAM_AUTO_BYTES, "off"), false);
    const duck = { ...ds, engine: "duckdb" as const };
    assert.equal(streamedRun(duck, STREAM_AUTO_BYTES), false);
    assert.throws(() => streamedRun(duck, 0, "on"), /duckdb engine streams on its own/);
  }));

Deno.test({
  name: "build --stream on writes the files of --stream off, byte for byte",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withShop("stream-cli-", async (dir, cfg) => {
      const outputs: Record<string, Record<string, Uint8Array>> = {};
      for (const mode of ["on", "off"]) {
        const out = join(dir, `build-${mode}`);
        const r = await run(buildArgs(cfg, "--until", "rfm", "--stream", mode, "--out", out));
        assert.equal(r.code, 0, r.stderr.slice(-3000));
        // The streamed run says so in its log (its own steps).
        assert.equal(/limits, duplicates/.test(r.stderr), mode === "on");
        // The manifest says how the data stage ran.
        const manifest = JSON.parse(Deno.readTextFileSync(findPublic(out, "manifest.json")));
        assert.equal(manifest.dataStage.inParts, mode === "on");
        assert.equal(manifest.dataStage.stream, mode);
        assert.equal(manifest.dataStage.engine, "polars");
        assert(manifest.dataStage.inputBytes > 0);
        // What a page fault cost, and whether the stage kept its freed memory for that reason.
        const { pageFaultUs, keptFreedMemory } = manifest.dataStage.memory;
        assert(pageFaultUs > 0 && Number.isFinite(pageFaultUs));
        assert.equal(keptFreedMemory, shouldKeepFreedMemory(pageFaultUs));
        outputs[mode] = Object.fromEntries(
          FILES.map((f) => [f, Deno.readFileSync(findPublic(out, f))]),
        );
      }
      // Every data file byte for byte (the manifest differs: it holds the stages' timings).
      for (const f of FILES) assert.deepEqual(outputs.on[f], outputs.off[f], f);
      const lines = pl.readParquet(findPublic(join(dir, "build-on"), "transactions.parquet"));
      const cleaning = JSON.parse(new TextDecoder().decode(outputs.on["cleaning.json"]));
      assert(cleaning.total.rows_kept > 0);
      assert.equal(lines.height, cleaning.total.rows_kept);
      // An impossible setting is refused before any work.
      const bad = await run(buildArgs(cfg, "--stream", "sometimes", "--out", join(dir, "x")));
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /--stream must be one of auto, on, off, got "sometimes"/);
      const duck = await run(
        buildArgs(cfg, "--stream", "on", "--engine", "duckdb", "--out", join(dir, "y")),
      );
      assert.notEqual(duck.code, 0);
      assert.match(duck.stderr, /duckdb engine streams on its own/);
      assert.doesNotMatch(duck.stderr, /ingest/);
    }),
});

/** The data files of `build --until rfm` (the manifest aside). */
const FILES = [
  "transactions.parquet",
  "quarantine.parquet",
  "customers.parquet",
  "customers.csv",
  "cleaning.json",
  "rfm.json",
  "results.json",
];

const real = await defaultSources();
Deno.test({
  name: "streamed: the default dataset gives the stage of the whole table",
  ignore: real === null,
  fn: async () => {
    const { ds, sources } = real!;
    const whole = ingestAndClean(ds, sources, quiet());
    for (const keep of ["all", "rfm"] as const) {
      const s = await streamedClean(ds, sources, quiet(), keep);
      try {
        await assertSameStage(ds, whole, s.stage, keep);
      } finally {
        s.dispose();
      }
    }
  },
});
