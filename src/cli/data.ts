/**
 * `deno task data [--dataset <id | path/to/dataset.json>]`: finds, verifies and (when needed)
 * downloads every input file of a dataset, and prints where each came from.
 *
 * Exit code 0 when every file is ready, 1 with the reason otherwise.
 *
 * @module
 */
import { shortHash } from "../acquire/checksum.ts";
import { resolveDataset } from "../acquire/resolve.ts";
import { loadDataset } from "../config/registry.ts";
import { parseOptions, runMain } from "../lib/args.ts";
import { display, ROOT } from "../lib/paths.ts";

const USAGE = "deno task data [--dataset <id | path/to/dataset.json>]";

/** A duration for display: milliseconds below a second, else seconds. */
function duration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

async function main(args: string[]): Promise<void> {
  const { values } = parseOptions(args, { dataset: { type: "string" } }, USAGE);
  const ds = await loadDataset(values.dataset ?? null);
  console.log(`dataset ${ds.id}: ${ds.title}`);
  const t0 = performance.now();
  const rows: string[][] = [];
  const files = await resolveDataset(ds, {
    root: ROOT,
    log: (m) => console.error(m),
    onFile: (got, ms) => {
      for (const f of got) {
        rows.push([
          f.file.name,
          f.origin,
          display(f.source),
          shortHash(f.sha256),
          duration(ms),
        ]);
      }
    },
  });
  const elapsed = duration(performance.now() - t0);
  const head = ["file", "origin", "path", "sha256", "time"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(`${files.length} file(s) ready in ${elapsed}`);
}

if (import.meta.main) await runMain("data", main);
