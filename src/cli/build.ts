/**
 * `deno task build [--dataset <id | path/to/dataset.json>]`: the main job.
 *
 * Resolves the data files, then runs ingest → clean → RFM (→ models → site), printing the
 * time of each stage. Outputs are staged and committed all-or-nothing at the end of the
 * analysis, so a failed run leaves the previous outputs intact.
 *
 * @module
 */
import { resolveDataset } from "../acquire.ts";
import { loadSelectedDataset } from "./args.ts";
import { customerOutputTable, ingestAndClean, Progress, rfmStage, stageCoreOutputs } from "../pipeline.ts";
import { OutputSet } from "../outputs.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

async function main(args: string[]): Promise<void> {
  const ds = await loadSelectedDataset(args, ROOT);
  console.error(`dataset ${ds.id}: ${ds.title}`);
  const progress = new Progress();
  const sources = await resolveDataset(ds, { root: ROOT, log: (m) => console.error(m) });
  progress.done("data", `${sources.length} file(s)`);
  const cleaned = ingestAndClean(ds, sources, progress);
  const rfm = rfmStage(ds, cleaned.kept, progress);
  const table = customerOutputTable(rfm.customers);
  const out = new OutputSet(ROOT);
  stageCoreOutputs(out, ds, cleaned, rfm, table);
  const written = await out.commit();
  progress.done("write outputs", `${written.length} files`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`build failed: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
