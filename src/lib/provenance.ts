/**
 * What a build ran with, read from the workspace: the locked npm package versions and the git
 * commit. Used by the manifest and by the Methods page, so both report the same thing.
 *
 * @module
 */
import { join } from "node:path";

/** The git commit of a work tree and whether tracked files have changes. */
export interface GitState {
  /** Full commit hash, or null outside a checkout. */
  commit: string | null;
  /** Whether tracked files differ from the commit; null outside a checkout. */
  dirty: boolean | null;
}

/**
 * Versions of the direct dependencies, read from `package-lock.json` text (npm lockfile v3), plus
 * the pinned transitive `@uwdata/flechette`.
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
  const flechette = pkgs["node_modules/@uwdata/flechette"]?.version;
  if (flechette) out["@uwdata/flechette"] = flechette;
  return out;
}

/** {@link lockedVersions} of the workspace's `package-lock.json` (empty when there is none). */
export async function readLockedVersions(
  root: string,
  names?: string[],
): Promise<Record<string, string>> {
  try {
    return lockedVersions(await Deno.readTextFile(join(root, "package-lock.json")), names);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
}

/** The current git commit and whether the work tree has changes (nulls outside a checkout). */
export async function gitState(root: string): Promise<GitState> {
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
