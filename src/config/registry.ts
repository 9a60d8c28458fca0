/**
 * The one dataset resolver: turns a dataset selector (a registry id, a path to a dataset JSON
 * file, or nothing for the registry's default) into a validated {@link DatasetConfig}.
 *
 * Relative paths in a description follow one rule: they are relative to the folder of the JSON
 * file that holds it — `files[].path` (resolved when the files are looked up) and `outputs`
 * (rewritten here, by {@link outputResolver}, relative to the workspace root as the rest of the
 * workspace expects). For the registry `data/datasets.json` that folder is `data/`.
 *
 * @module
 */
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import {
  type DatasetConfig,
  parseDataset,
  type ParseOptions,
  parseRegistry,
  type Registry,
} from "./dataset.ts";
import { ConfigError } from "./errors.ts";
import { readJson } from "../lib/files.ts";
import { ROOT } from "../lib/paths.ts";

/** Path of the dataset registry below a workspace root. */
export function registryPath(root: string = ROOT): string {
  return join(resolve(root), "data", "datasets.json");
}

/**
 * Whether a selector names a dataset file rather than a registry id: it ends in `.json` or
 * contains a path separator. Registry ids are lowercase names without either.
 *
 * @example
 * ```ts
 * import { isDatasetPath } from "./registry.ts";
 * import { equal } from "node:assert/strict";
 * equal(isDatasetPath("cdnow"), false);
 * equal(isDatasetPath("my-shop.json"), true);
 * equal(isDatasetPath("configs/shop"), true);
 * ```
 */
export function isDatasetPath(selector: string): boolean {
  return selector.endsWith(".json") || selector.includes("/") || selector.includes("\\");
}

/**
 * The rule for `outputs` as written in a description: relative to `baseDir` (the folder of the
 * JSON file, like `files[].path`), or absolute. Returns the folder relative to the workspace
 * `root` when it lies inside it, else absolute.
 *
 * @example
 * ```ts
 * import { outputResolver } from "./registry.ts";
 * import { equal } from "node:assert/strict";
 * const fromRegistry = outputResolver("/ws/data", "/ws");
 * equal(fromRegistry("../reports/cdnow"), "reports/cdnow");
 * equal(fromRegistry("processed"), "data/processed");
 * equal(outputResolver("/home/me/shop", "/ws")("out/reports"), "/home/me/shop/out/reports");
 * equal(outputResolver("/ws/cfg", "/ws")("/srv/reports"), "/srv/reports");
 * ```
 */
export function outputResolver(baseDir: string, root: string): (written: string) => string {
  return (written) => {
    const abs = resolve(baseDir, written);
    const rel = relative(resolve(root), abs);
    if (rel === "") return ".";
    return rel === ".." || rel.startsWith("../") || isAbsolute(rel) ? abs : rel;
  };
}

/** The parse options of a description read from the file `path` in the workspace `root`. */
function optionsFor(path: string, root: string): ParseOptions {
  return { resolveOutput: outputResolver(dirname(path), root) };
}

/** Re-throws a {@link ConfigError} with the file it came from. */
function inFile<T>(path: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new ConfigError(e.key, e.message.slice(e.key.length + 2), path);
    }
    throw e;
  }
}

/**
 * Reads and validates the registry (`<root>/data/datasets.json`).
 *
 * @throws {ConfigError} naming the key (and the file) when the registry is invalid
 */
export async function loadRegistry(root: string = ROOT): Promise<Registry> {
  const path = registryPath(root);
  const json = await readJson(path);
  return inFile(path, () => parseRegistry(json, dirname(path), optionsFor(path, root)));
}

/**
 * Loads the dataset a selector names: a registry id, a path to a file holding one dataset object
 * (relative paths in it — `files[].path`, `outputs` — are relative to the file's folder; a
 * relative selector to the working directory), or `null` for the registry's default.
 *
 * @param selector registry id, path to a dataset JSON file, or null
 * @param root workspace root whose registry is read
 * @throws {ConfigError} when the configuration is invalid (naming the key and the file)
 * @throws {Error} when the file does not exist or the id is unknown (listing the known ids)
 */
export async function loadDataset(
  selector: string | null,
  root: string = ROOT,
): Promise<DatasetConfig> {
  if (selector !== null && isDatasetPath(selector)) {
    const path = resolve(selector);
    let json: unknown;
    try {
      json = await readJson(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new Error(`dataset file ${path} does not exist`);
      throw e;
    }
    return inFile(path, () => parseDataset(json, "", dirname(path), optionsFor(path, root)));
  }
  const registry = await loadRegistry(root);
  const id = selector ?? registry.default;
  const ds = registry.datasets.find((d) => d.id === id);
  if (!ds) {
    throw new Error(
      `no dataset "${id}" in ${registryPath(root)} (known: ${
        registry.datasets.map((d) => d.id).join(", ")
      }); to use a dataset file, pass a path ending in .json`,
    );
  }
  return ds;
}
