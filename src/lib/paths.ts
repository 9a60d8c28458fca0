/**
 * Where the workspace is on disk: the one place that turns this module's URL into the workspace
 * root, and resolves workspace-relative paths against it.
 *
 * `fileURLToPath` is used rather than `URL.pathname`, which keeps `%20` and other escapes and so
 * breaks on folders whose names have spaces or `%`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { isAbsolute, join, relative } from "node:path";

/** Absolute path of the workspace root (no trailing separator). */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/+$/, "");

/**
 * Resolves a path against the workspace root (absolute paths are returned as they are).
 *
 * @example
 * ```ts
 * import { fromRoot, ROOT } from "./paths.ts";
 * import { equal } from "node:assert/strict";
 * equal(fromRoot("reports"), ROOT + "/reports");
 * equal(fromRoot("/tmp/x"), "/tmp/x");
 * ```
 */
export function fromRoot(path: string, root: string = ROOT): string {
  return isAbsolute(path) ? path : join(root, path);
}

/** A path relative to the workspace root for messages (`.` for the root itself). */
export function display(path: string, root: string = ROOT): string {
  const rel = relative(root, path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}
