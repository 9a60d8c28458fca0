/**
 * The data stage at N× the default dataset, side by side with pandas (`deno task bench --scale
 * N`): writes N replicas of the default dataset as CSV (each replica with its own customer ids
 * and invoice numbers), then runs, alternately, the public `build --until rfm --out TMP` (all
 * cleaning rules on polars on the whole table (`--stream off`) and in parts (`--stream on`), all
 * rules on DuckDB (`--engine duckdb`), and only the plain ones)
 * the plain pandas script (`pandas_rfm.py`), and the same plain script in polars alone
 * (`polars_rfm.ts`: lazy scan, streaming engine, no checks or outputs beyond the customer table:
 * the floor of the stack in time) and in chunks with each chunk's frames released
 * (`polars_chunked.ts` in chunks of {@link FLOOR_CHUNKS_MIB} MiB: the floor in memory, what a
 * streaming data stage could reach), each in a fresh process, measuring wall time and peak
 * resident memory.
 * Prints each figure beside its target (wall ≤ 0.5× pandas, peak memory ≤ 0.5× pandas), and
 * whether any run of polars alone meets both (`floor.ts`): when none does, the targets are out of
 * this stack's reach at that scale on that machine. The replicas are deleted after.
 *
 * @module
 */
import pl from "nodejs-polars";
import { join } from "node:path";
import type { DatasetConfig } from "../../src/config/dataset.ts";
import { againstRatio, type ChildRun, measureChild, median, pythonWith } from "./child.ts";
import { KEEP_FREED_ABOVE_US, pageFaultCost } from "../../src/lib/memory.ts";
import { type FloorRun, floorVerdict, TARGET_RATIO } from "./floor.ts";

/** The timestamp format the replicas are written in. */
const TS_FORMAT = "%Y-%m-%d %H:%M:%S";
/**
 * Chunk sizes (MiB) of the runs of polars alone in chunks: smaller chunks hold less and take
 * longer, so together with the lazy scan they trace the stack's trade-off between the two targets.
 */
export const FLOOR_CHUNKS_MIB = [1, 4, 16] as const;
/** Customer ids of replica r are shifted by r × this (ids of the dataset are below it). */
const ID_STEP = 1_000_000;
/** Invoice numbers of replica r are shifted by r × this (numbers are six digits). */
const INVOICE_STEP = 10_000_000;

/** One group of replica files (one per source file) and its column names. */
export interface ReplicaGroup {
  glob: string;
  columns: Record<string, string>;
  timestampFormat: string;
}

/**
 * Writes `n` replicas of each source file as CSV into `dir` (`r001-0.csv`, `r001-1.csv`, …):
 * replica r adds r × {@link ID_STEP} to customer ids and r × {@link INVOICE_STEP} to the number of
 * each invoice (its letter prefix kept, so cancellations stay cancellations).
 *
 * @returns the file groups (glob relative to `dir`, column names) and lines and bytes written
 */
export async function writeReplicas(
  ds: DatasetConfig,
  paths: string[],
  dir: string,
  n: number,
): Promise<{ groups: ReplicaGroup[]; lines: number; bytes: number }> {
  const groups: ReplicaGroup[] = [];
  let lines = 0;
  let bytes = 0;
  for (const [i, file] of ds.files.entries()) {
    const c = file.columns as Record<string, string>;
    let df = file.format === "parquet"
      ? pl.readParquet(paths[i])
      : pl.readCSV(await Deno.readTextFile(paths[i]), { inferSchemaLength: 0 });
    const ts = df.getColumn(c.timestamp).dtype;
    df = df.withColumns(
      (ts.variant === "Datetime"
        ? pl.col(c.timestamp).dt.strftime(TS_FORMAT)
        : pl.col(c.timestamp).cast(pl.Utf8)).alias(c.timestamp),
      pl.col(c.customer_id).cast(pl.Float64).cast(pl.Int64).alias(c.customer_id),
      pl.col(c.invoice).cast(pl.Utf8).str.extract("^([^0-9]*)", 1).alias("__prefix"),
      pl.col(c.invoice).cast(pl.Utf8).str.extract("([0-9]+)$", 1).cast(pl.Int64).alias("__num"),
    );
    const order = df.columns.filter((x) => !x.startsWith("__"));
    for (let r = 0; r < n; r++) {
      const rep = df.withColumns(
        // (a JavaScript number is a float literal to polars: cast back to integers)
        pl.col(c.customer_id).add(r * ID_STEP).cast(pl.Int64).alias(c.customer_id),
        pl.concatString([
          pl.col("__prefix").fillNull(""),
          pl.col("__num").add(r * INVOICE_STEP).cast(pl.Int64).cast(pl.Utf8),
        ], "").alias(c.invoice),
      ).select(...order);
      const path = join(dir, `r${String(r).padStart(3, "0")}-${i}.csv`);
      rep.writeCSV(path);
      lines += rep.height;
      bytes += (await Deno.stat(path)).size;
    }
    groups.push({ glob: `r*-${i}.csv`, columns: c, timestampFormat: TS_FORMAT });
  }
  return { groups, lines, bytes };
}

/** A dataset configuration for the replicas: all rules of `ds`, or only the plain ones. */
function replicaConfig(ds: DatasetConfig, groups: ReplicaGroup[], plain: boolean) {
  const c = ds.cleaning;
  return {
    id: `bench-replicas${plain ? "-plain" : ""}`,
    title: `Bench replicas of ${ds.id}${plain ? " (plain rules)" : ""}`,
    timezone: ds.timezone,
    currency: ds.currency,
    outputs: { reports: "reports", processed: "processed" },
    files: groups.map((g) => ({
      path: g.glob,
      format: "csv",
      columns: g.columns,
      timestampFormat: g.timestampFormat,
    })),
    // Required by the configuration; the model stage does not run (--until rfm).
    model: {
      forward: { cutoff: ds.model.forward.cutoff, windowEnd: ds.model.forward.windowEnd },
    },
    cleaning: plain
      ? {
        nonProductCodes: [],
        nonProductPatterns: [],
        outliers: { matchCancelledOrders: false, logValueMadMultiplier: null },
        timestamps: { bulkMargin: null },
      }
      : {
        nonProductCodes: c.nonProductCodes,
        nonProductPatterns: c.nonProductPatterns,
        outliers: c.outliers,
      },
  };
}

/** Options of {@link scaleComparison}. */
export interface ScaleOptions {
  /** Replicas. */
  scale: number;
  /** Runs of each command (alternating). */
  runs: number;
  /** The workspace root (where `src/cli/build.ts` is). */
  root: string;
  /** Print a line. */
  log: (line: string) => void;
}

/** Runs the side-by-side data-stage comparison at `scale`× and prints it. */
export async function scaleComparison(
  ds: DatasetConfig,
  paths: string[],
  o: ScaleOptions,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: `bench-scale-${o.scale}x-` });
  try {
    const t0 = performance.now();
    const { groups, lines, bytes } = await writeReplicas(ds, paths, dir, o.scale);
    o.log(
      `bench --scale ${o.scale}: ${o.scale} replica(s) of ${ds.id} as CSV, ${
        lines.toLocaleString("en-GB")
      } lines, ${(bytes / 2 ** 20).toFixed(0)} MiB (written in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s, in ${dir}, deleted after)`,
    );
    // The ratios depend on the machine as much as on the code: pandas takes far more pages than
    // the build, so where a page fault is dear it loses more (see lib/memory.ts).
    const faultUs = pageFaultCost();
    o.log(
      `  machine: a fresh page costs ${faultUs.toFixed(1)} µs to fault in (the build keeps freed ` +
        `memory above ${KEEP_FREED_ABOVE_US} µs); load ${Deno.loadavg()[0].toFixed(2)}`,
    );
    const cfgAll = join(dir, "all.json");
    const cfgPlain = join(dir, "plain.json");
    await Deno.writeTextFile(cfgAll, JSON.stringify(replicaConfig(ds, groups, false)));
    await Deno.writeTextFile(cfgPlain, JSON.stringify(replicaConfig(ds, groups, true)));
    const python = await pythonWith(["pandas"]);
    /** The spec of a plain script (pandas', polars alone's): the files, and where its table goes. */
    const scriptSpec = async (name: string) => {
      const path = join(dir, `${name}.json`);
      await Deno.writeTextFile(
        path,
        JSON.stringify({
          files: groups.map((g) => ({ ...g, glob: join(dir, g.glob) })),
          out: join(dir, `${name}-customers.csv`),
        }),
      );
      return path;
    };
    const pandasSpec = await scriptSpec("pandas");
    const polarsSpec = await scriptSpec("polars");
    const chunkedSpec = await scriptSpec("chunked");
    const build = (cfg: string, tag: string, r: number, engine = "polars", stream = "off") =>
      measureChild(Deno.execPath(), [
        "run",
        "-A",
        "--v8-flags=--expose-gc", // as `deno task build`
        join(o.root, "src/cli/build.ts"),
        "--dataset",
        cfg,
        "--until",
        "rfm",
        "--out",
        join(dir, `out-${tag}-${r}`),
        "--engine",
        engine,
        ...(engine === "polars" ? ["--stream", stream] : []),
      ], { cwd: o.root });
    const runs: Record<string, ChildRun[]> = {
      all: [],
      stream: [],
      duckdb: [],
      plain: [],
      polars: [],
      ...Object.fromEntries(FLOOR_CHUNKS_MIB.map((c) => [`chunked${c}`, []])),
      pandas: [],
    };
    for (let r = 0; r < o.runs; r++) {
      const tags = [
        "all",
        "stream",
        "duckdb",
        "plain",
        "polars",
        ...FLOOR_CHUNKS_MIB.map((c) => `chunked${c}`),
        "pandas",
      ];
      for (const tag of tags) {
        let run: ChildRun;
        if (tag === "pandas") {
          if (!python) continue;
          run = await measureChild(python, [join(o.root, "tests/bench/pandas_rfm.py"), pandasSpec]);
        } else if (tag === "polars") {
          run = await measureChild(Deno.execPath(), [
            "run",
            "-A",
            join(o.root, "tests/bench/polars_rfm.ts"),
            polarsSpec,
          ], { cwd: o.root });
        } else if (tag.startsWith("chunked")) {
          run = await measureChild(Deno.execPath(), [
            "run",
            "-A",
            "--v8-flags=--expose-gc",
            join(o.root, "tests/bench/polars_chunked.ts"),
            "--chunk-mib",
            tag.slice("chunked".length),
            chunkedSpec,
          ], { cwd: o.root });
        } else {
          run = await build(
            tag === "plain" ? cfgPlain : cfgAll,
            tag,
            r,
            tag === "duckdb" ? "duckdb" : "polars",
            tag === "stream" ? "on" : "off",
          );
          await Deno.remove(join(dir, `out-${tag}-${r}`), { recursive: true }).catch(() => {});
        }
        if (run.code !== 0) {
          // A failed engine is reported, and the others still run (their figures are the bench).
          const why = run.stderr.split("\n").find((l) => l.startsWith("build failed")) ??
            run.stderr.slice(-500);
          if (tag !== "duckdb") {
            throw new Error(`${tag} run failed (status ${run.code}):\n${run.stderr.slice(-3000)}`);
          }
          o.log(
            `  run ${r + 1} ${tag.padEnd(6)} FAILED (status ${run.code}): ${why.slice(0, 300)}`,
          );
          continue;
        }
        runs[tag].push(run);
        o.log(
          `  run ${r + 1} ${tag.padEnd(9)} wall ${run.wall.toFixed(2)} s, peak ${
            run.peakMiB.toFixed(0)
          } MiB`,
        );
      }
    }
    const customersOf = (run: ChildRun) =>
      /\] rfm\s+[\d.]+ s\s+([\d,]+) customers/.exec(run.stderr)?.[1];
    const summary = (tag: string) => {
      const rs = runs[tag];
      return { wall: median(rs.map((r) => r.wall)), peak: median(rs.map((r) => r.peakMiB)) };
    };
    const all = summary("all");
    const stream = summary("stream");
    const duck = runs.duckdb.length ? summary("duckdb") : null;
    const plain = summary("plain");
    o.log(
      `bench --scale ${o.scale}: ingest + clean + RFM, ${o.runs} alternating run(s) each, median`,
    );
    o.log(
      `  workspace, all rules    wall ${all.wall.toFixed(2)} s   peak ${
        all.peak.toFixed(0)
      } MiB   (${customersOf(runs.all[0]) ?? "?"} customers)`,
    );
    o.log(
      `  workspace, all rules, in parts (--stream on)   wall ${stream.wall.toFixed(2)} s   peak ${
        stream.peak.toFixed(0)
      } MiB   (${customersOf(runs.stream[0]) ?? "?"} customers)`,
    );
    o.log(
      `  in parts / whole table (all rules): wall ${(stream.wall / all.wall).toFixed(2)}×, peak ${
        (stream.peak / all.peak).toFixed(2)
      }×`,
    );
    if (duck) {
      o.log(
        `  workspace, all rules, engine duckdb   wall ${duck.wall.toFixed(2)} s   peak ${
          duck.peak.toFixed(0)
        } MiB   (${customersOf(runs.duckdb[0]) ?? "?"} customers)`,
      );
      o.log(
        `  duckdb / polars (all rules): wall ${(duck.wall / all.wall).toFixed(2)}×, peak ${
          (duck.peak / all.peak).toFixed(2)
        }×`,
      );
    } else {
      o.log("  workspace, all rules, engine duckdb   FAILED (see above)");
    }
    o.log(
      `  workspace, plain rules  wall ${plain.wall.toFixed(2)} s   peak ${
        plain.peak.toFixed(0)
      } MiB   (${customersOf(runs.plain[0]) ?? "?"} customers)`,
    );
    const alone = summary("polars");
    const aloneCounts = JSON.parse(runs.polars[0].stdout.trim().split("\n").pop() ?? "{}");
    o.log(
      `  polars alone, plain rules (lazy scan, streaming engine; no checks, quarantine or ` +
        `report)  wall ${alone.wall.toFixed(2)} s   peak ${alone.peak.toFixed(0)} MiB   (${
          aloneCounts.customers ?? "?"
        } customers, ${aloneCounts.rows_kept ?? "?"} lines kept)`,
    );
    const chunked = FLOOR_CHUNKS_MIB.map((c) => ({ c, ...summary(`chunked${c}`) }));
    for (const { c, wall, peak } of chunked) {
      const counts = JSON.parse(runs[`chunked${c}`][0].stdout.trim().split("\n").pop() ?? "{}");
      o.log(
        `  polars alone, plain rules, in ${c} MiB chunks (each chunk's frames released; no ` +
          `checks, quarantine or report)  wall ${wall.toFixed(2)} s   peak ${
            peak.toFixed(0)
          } MiB   (${counts.customers ?? "?"} customers, ${counts.rows_kept ?? "?"} lines kept)`,
      );
    }
    for (const tag of ["all", "stream"]) {
      const stages = runs[tag][0].stderr.split("\n").filter((l) => /^\[\s*[\d.]+ s\]/.test(l));
      o.log(
        `  stages of the first all-rules build${
          tag === "stream" ? " in parts" : ""
        } (from its progress lines):`,
      );
      for (const l of stages) o.log(`    ${l.length > 150 ? `${l.slice(0, 150)}…` : l}`);
    }
    if (!python) {
      o.log(
        "  pandas: skipped (no python3 with pandas; `apt-get install python3-pandas`) — " +
          "targets not checked",
      );
      return;
    }
    const pd = summary("pandas");
    const counts = JSON.parse(runs.pandas[0].stdout.trim().split("\n").pop() ?? "{}");
    o.log(
      `  pandas, plain rules     wall ${pd.wall.toFixed(2)} s   peak ${pd.peak.toFixed(0)} MiB   (${
        counts.customers ?? "?"
      } customers, ${counts.rows_kept ?? "?"} lines kept)`,
    );
    o.log(`  all rules   / pandas: wall ${againstRatio(all.wall, pd.wall, TARGET_RATIO)}`);
    o.log(`                        peak ${againstRatio(all.peak, pd.peak, TARGET_RATIO)}`);
    o.log(
      `  all rules, in parts / pandas: wall ${againstRatio(stream.wall, pd.wall, TARGET_RATIO)}`,
    );
    o.log(
      `                                peak ${againstRatio(stream.peak, pd.peak, TARGET_RATIO)}`,
    );
    if (duck) {
      o.log(`  all rules, duckdb / pandas: wall ${againstRatio(duck.wall, pd.wall, TARGET_RATIO)}`);
      o.log(`                              peak ${againstRatio(duck.peak, pd.peak, TARGET_RATIO)}`);
    }
    o.log(`  plain rules / pandas: wall ${againstRatio(plain.wall, pd.wall, TARGET_RATIO)}`);
    o.log(`                        peak ${againstRatio(plain.peak, pd.peak, TARGET_RATIO)}`);
    o.log(
      `  polars alone / pandas (the stack's floor on the plain script): wall ${
        (alone.wall / pd.wall).toFixed(2)
      }×, peak ${(alone.peak / pd.peak).toFixed(2)}×`,
    );
    for (const { c, wall, peak } of chunked) {
      o.log(
        `  polars alone in ${c} MiB chunks / pandas (the stack's floor in memory): wall ${
          (wall / pd.wall).toFixed(2)
        }×, peak ${(peak / pd.peak).toFixed(2)}×`,
      );
    }
    const floors: FloorRun[] = [
      { label: "the lazy scan", wall: alone.wall, peak: alone.peak },
      ...chunked.map(({ c, wall, peak }) => ({ label: `chunks of ${c} MiB`, wall, peak })),
    ];
    let verdict: string;
    try {
      verdict = floorVerdict(floors, pd).text;
    } catch (e) {
      // (a peak that could not be measured: no /usr/bin/time and no /proc)
      verdict = `not judged: ${(e as Error).message}`;
    }
    o.log(`  within the stack's reach? ${verdict}`);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
