/**
 * The data stage on the two engines, side by side: `deno run -A tests/bench/engine.ts
 * [--dataset X] [--rounds N]` runs ingest + clean + per-customer aggregates on the default
 * dataset (or X) with the polars path and with the DuckDB path (generated SQL), each in its own
 * process, alternating, and prints wall time and peak memory (VmHWM) of each run, and the ratios.
 *
 * @module
 */
import process from "node:process";
import { loadDataset } from "../../src/config/registry.ts";
import { resolveDataset } from "../../src/acquire/resolve.ts";
import { parseOptions } from "../../src/lib/args.ts";
import { ROOT } from "../../src/lib/paths.ts";

const USAGE = "deno run -A tests/bench/engine.ts [--dataset X] [--rounds N]";

/** Peak resident memory of this process (MiB), from /proc/self/status. */
function peakMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** One run of one engine in this process; prints a JSON line. */
async function child(engine: string, dataset: string | null): Promise<void> {
  const ds = await loadDataset(dataset);
  const files = await resolveDataset(ds, { root: ROOT, log: () => {} });
  const sources = files.map((f) => ({ file: f.file, path: f.path, origin: f.origin }));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let customers = 0;
  if (engine === "duckdb") {
    const { duckdbDataStage } = await import("../../src/engine/duckdb.ts");
    customers = (await duckdbDataStage(ds, sources)).customers.height;
  } else {
    const { ingestAndClean } = await import("../../src/pipeline/stages.ts");
    const { Progress } = await import("../../src/pipeline/progress.ts");
    const { customerMetrics, defaultAnalysisDate } = await import("../../src/rfm/rfm.ts");
    const r = ingestAndClean(ds, sources, new Progress(() => {}));
    customers = customerMetrics(r.kept, ds.analysisDate ?? defaultAnalysisDate(r.kept)).height;
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({
    engine,
    wallS: (performance.now() - t0) / 1000,
    cpuS: (cpu.user + cpu.system) / 1e6,
    peakMiB: peakMiB(),
    customers,
  }));
}

async function main(): Promise<void> {
  const { values } = parseOptions(Deno.args, {
    dataset: { type: "string" },
    rounds: { type: "string" },
    child: { type: "string" },
  }, USAGE);
  if (values.child) return await child(values.child, values.dataset ?? null);
  const rounds = Number(values.rounds ?? 2);
  const runs: Record<string, { wallS: number; cpuS: number; peakMiB: number }[]> = {
    polars: [],
    duckdb: [],
  };
  for (let i = 0; i < rounds; i++) {
    for (const engine of i % 2 ? ["duckdb", "polars"] : ["polars", "duckdb"]) {
      const args = ["run", "-A", new URL(import.meta.url).pathname, "--child", engine];
      if (values.dataset) args.push("--dataset", values.dataset);
      const out = await new Deno.Command(Deno.execPath(), { args, stderr: "inherit" }).output();
      if (!out.success) throw new Error(`${engine} run failed`);
      const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
      runs[engine].push(r);
      console.log(
        `${engine.padEnd(7)} wall ${r.wallS.toFixed(2)} s  cpu ${r.cpuS.toFixed(2)} s  peak ${
          r.peakMiB.toFixed(0)
        } MiB  (${r.customers} customers)`,
      );
    }
  }
  const best = (e: string, k: "wallS" | "peakMiB" | "cpuS") =>
    Math.min(...runs[e].map((r) => r[k]));
  console.log(
    `best of ${rounds}: duckdb/polars wall ${
      (best("duckdb", "wallS") / best("polars", "wallS")).toFixed(2)
    }×, cpu ${(best("duckdb", "cpuS") / best("polars", "cpuS")).toFixed(2)}×, peak ${
      (best("duckdb", "peakMiB") / best("polars", "peakMiB")).toFixed(2)
    }×`,
  );
}

if (import.meta.main) await main();
