/**
 * Command-line helpers shared by the CLIs: the `--dataset <id | path/to/dataset.json>` option and
 * loading the dataset it selects.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { ConfigError, type DatasetConfig, parseDataset, parseRegistry } from "../config.ts";
import { readJson } from "../io.ts";

/** The `--dataset` choice and the arguments left over. */
export interface DatasetArgs {
  /** Dataset id or path to a dataset JSON file; null for the registry's default. */
  dataset: string | null;
  /** Every other argument, in order. */
  rest: string[];
}

/**
 * Takes `--dataset <value>` (or `--dataset=<value>`) out of the arguments.
 *
 * @throws {Error} when the option has no value or is given twice
 */
export function parseDatasetArg(args: string[]): DatasetArgs {
  let dataset: string | null = null;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    let value: string | undefined;
    if (a === "--dataset") {
      value = args[++i];
      if (value === undefined || value.startsWith("--")) {
        throw new Error("--dataset needs a value: a dataset id or a path to a dataset JSON file");
      }
    } else if (a.startsWith("--dataset=")) {
      value = a.slice("--dataset=".length);
      if (value === "") {
        throw new Error("--dataset needs a value: a dataset id or a path to a dataset JSON file");
      }
    } else {
      rest.push(a);
      continue;
    }
    if (dataset !== null) throw new Error("--dataset is given more than once");
    dataset = value;
  }
  return { dataset, rest };
}

/** Whether a `--dataset` value names a file rather than a registry id. */
function looksLikePath(v: string): boolean {
  return v.endsWith(".json") || v.includes("/") || v.includes("\\");
}

/**
 * Loads the dataset selected by the arguments: `--dataset <id>` from the registry
 * (`<root>/data/datasets.json`), `--dataset <path.json>` from a file holding one dataset object
 * (its relative `files[].path` entries are resolved against the file's folder), or, without the
 * option, the registry's default. Other arguments are ignored here.
 *
 * @param args command-line arguments
 * @param root workspace root
 * @throws {ConfigError} when the configuration is invalid
 * @throws {Error} when the file cannot be read or the id is unknown
 */
export async function loadSelectedDataset(args: string[], root: string): Promise<DatasetConfig> {
  const { dataset } = parseDatasetArg(args);
  if (dataset !== null && looksLikePath(dataset)) {
    const path = resolve(dataset);
    let json: unknown;
    try {
      json = await readJson(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new Error(`dataset file ${path} does not exist`);
      throw e;
    }
    try {
      return parseDataset(json, "", dirname(path));
    } catch (e) {
      if (e instanceof ConfigError) {
        throw new ConfigError(e.key, e.message.slice(e.key.length + 2), path);
      }
      throw e;
    }
  }
  const registryPath = join(resolve(root), "data", "datasets.json");
  let registry;
  try {
    registry = parseRegistry(await readJson(registryPath), dirname(registryPath));
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new ConfigError(e.key, e.message.slice(e.key.length + 2), registryPath);
    }
    throw e;
  }
  const id = dataset ?? registry.default;
  const ds = registry.datasets.find((d) => d.id === id);
  if (!ds) {
    throw new Error(
      `no dataset "${id}" in ${registryPath} (known: ${
        registry.datasets.map((d) => d.id).join(", ")
      }); ` +
        `to use a dataset file, pass a path ending in .json`,
    );
  }
  return ds;
}
