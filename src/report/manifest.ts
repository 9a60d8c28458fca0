/**
 * The build manifest (`manifest.json`): what went in and with which tools. Unlike
 * `results.json` it holds things that vary between runs (stage times, the git commit) and is not
 * compared by verify; the Methods page shows it.
 *
 * @module
 */
import type { DatasetConfig } from "../config/dataset.ts";
import type { GitState } from "../lib/provenance.ts";

/** One input file as used by the build. */
export interface ManifestInput {
  file: string;
  origin: string;
  sha256: string;
  rows: number;
}

/** The manifest. */
export interface Manifest {
  dataset: string;
  inputs: ManifestInput[];
  configuration: Omit<DatasetConfig, "baseDir">;
  seeds: { model: number };
  versions: { deno: string; v8: string; typescript: string; packages: Record<string, string> };
  git: GitState;
  stages: { stage: string; ms: number }[];
}

/** Builds the manifest from what the build knows. */
export function buildManifest(args: {
  ds: DatasetConfig;
  inputs: ManifestInput[];
  packages: Record<string, string>;
  git: GitState;
  stages: { stage: string; ms: number }[];
}): Manifest {
  const { baseDir: _baseDir, ...configuration } = args.ds;
  return {
    dataset: args.ds.id,
    inputs: args.inputs,
    configuration,
    seeds: { model: args.ds.model.seed },
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      packages: args.packages,
    },
    git: args.git,
    stages: args.stages,
  };
}
