/**
 * The build manifest (`manifest.json`): what went in and with which tools. Unlike
 * `results.json` it holds things that vary between runs (stage times, the git commit) and is not
 * compared by verify; the Methods page shows it.
 *
 * @module
 */
import type { DatasetConfig } from "./config.ts";

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
  git: { commit: string | null; dirty: boolean | null };
  stages: { stage: string; ms: number }[];
}

/**
 * Versions of the direct dependencies, read from `package-lock.json` text (npm lockfile v3).
 *
 * @param lockText the lockfile's text
 * @param names package names to report (default: the root package's dependencies)
 */
export function lockedVersions(lockText: string, names?: string[]): Record<string, string> {
  const lock = JSON.parse(lockText) as {
    packages?: Record<
      string,
      {
        version?: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      }
    >;
  };
  const pkgs = lock.packages ?? {};
  const root = pkgs[""] ?? {};
  const wanted = names ??
    [...Object.keys(root.dependencies ?? {}), ...Object.keys(root.devDependencies ?? {})];
  const out: Record<string, string> = {};
  for (const n of [...wanted].sort()) {
    const v = pkgs[`node_modules/${n}`]?.version;
    if (v) out[n] = v;
  }
  // Pinned transitive packages worth knowing.
  const flechette = pkgs["node_modules/@uwdata/flechette"]?.version;
  if (flechette) out["@uwdata/flechette"] = flechette;
  return out;
}

/** Builds the manifest from what the build knows. */
export function buildManifest(args: {
  ds: DatasetConfig;
  inputs: ManifestInput[];
  packages: Record<string, string>;
  git: { commit: string | null; dirty: boolean | null };
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

/** The current git commit and whether the work tree has changes (null outside a checkout). */
export async function gitState(
  root: string,
): Promise<{ commit: string | null; dirty: boolean | null }> {
  try {
    const run = async (...args: string[]) => {
      const out = await new Deno.Command("git", {
        args,
        cwd: root,
        stdout: "piped",
        stderr: "null",
      }).output();
      if (!out.success) throw new Error("git failed");
      return new TextDecoder().decode(out.stdout).trim();
    };
    const commit = await run("rev-parse", "HEAD");
    const status = await run("status", "--porcelain", "--untracked-files=no");
    return { commit, dirty: status.length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}
