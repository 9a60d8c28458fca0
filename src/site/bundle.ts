/**
 * Bundles {@link BROWSER_ENTRY} (the pure `src/` modules the pages run in the browser) with esbuild
 * into `notebooks/components/generated/workspace.js`. Framework only serves modules inside its
 * root, so this explicit step runs before every site build and preview; the Framework
 * configuration itself has no side effects.
 *
 * @module
 */
import { build, stop } from "esbuild";
import { join, relative } from "node:path";
import { ROOT } from "../lib/paths.ts";
import { writeFileAtomic } from "../lib/files.ts";

/** The bundle's entry module, relative to the workspace root. */
export const BROWSER_ENTRY = "src/site/browser.ts";

/** Where the bundle is written, relative to the workspace root. */
export const BROWSER_BUNDLE = "notebooks/components/generated/workspace.js";

/**
 * Bundles the browser entry and writes it when its text changed (so a running preview reloads
 * only for a real change).
 *
 * @returns the absolute path of the bundle
 */
export async function bundleBrowserModules(root: string = ROOT): Promise<string> {
  const entry = join(root, BROWSER_ENTRY);
  const out = join(root, BROWSER_BUNDLE);
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      legalComments: "none",
      logLevel: "silent",
      banner: {
        js: `// deno-fmt-ignore-file\n// deno-lint-ignore-file\n` +
          `// Generated from ${relative(root, entry)} by src/site/bundle.ts. Do not edit.`,
      },
    });
  } finally {
    // esbuild keeps a service process; stop it so the calling process can exit.
    await stop();
  }
  const code = result.outputFiles[0].text;
  let current: string | null = null;
  try {
    current = await Deno.readTextFile(out);
  } catch {
    // no bundle yet
  }
  if (current !== code) {
    await Deno.mkdir(join(root, "notebooks", "components", "generated"), { recursive: true });
    await writeFileAtomic(out, code);
  }
  return out;
}
