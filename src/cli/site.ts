/**
 * `deno task site [--dataset <id | path.json>] [--allow-outside-workspace]` builds the report site
 * from the published analysis outputs and publishes it with them (one rename: a failed or killed
 * build leaves the previous site); `deno task dev [--dataset …] [--port N]` runs Framework's live
 * preview for editing the notebooks, until stopped (Ctrl-C, SIGTERM, or the end of the `npx` or
 * `deno task` that started it). See `src/site/framework.ts`.
 *
 * @module
 */
import { loadDataset } from "../config/registry.ts";
import { intOption, parseOptions, runMain } from "../lib/args.ts";
import { display } from "../lib/paths.ts";
import { buildSite, previewSite } from "../site/framework.ts";

const USAGE = "deno task site [--dataset <id | path/to/dataset.json>] " +
  "[--allow-outside-workspace]  (build the site)\n" +
  "       deno task dev [--dataset <id | path/to/dataset.json>] [--port N]  (preview it)";

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseOptions(
    args,
    {
      dataset: { type: "string" },
      port: { type: "string" },
      "allow-outside-workspace": { type: "boolean", default: false },
    },
    USAGE,
    true,
  );
  const command = positionals[0] ?? "build";
  if (positionals.length > 1 || (command !== "build" && command !== "dev")) {
    throw new Error(`unknown command "${positionals.join(" ")}" (use build or dev)`);
  }
  const selector = values.dataset ?? null;
  const dataset = await loadDataset(selector);
  const options = {
    dataset,
    selector: selector ?? undefined,
    allowOutside: values["allow-outside-workspace"],
  };
  if (command === "build") {
    const t0 = performance.now();
    const plan = await buildSite(options);
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    console.error(`site: ${display(plan.site)} built in ${s} s`);
  } else {
    await previewSite({ ...options, port: intOption(values.port, "port", USAGE) });
  }
}

if (import.meta.main) await runMain("site", main);
