/**
 * Glob expansion for explicit file paths in a dataset description (`"path": "exports/*.csv"`):
 * `*`, `?`, `[…]` and `{a,b}` within a path segment, and `**` for any depth of folders. A leading
 * wildcard does not match hidden files, as in a shell.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";

const GLOB_CHARS = /[*?[{]/;

/**
 * Whether a path pattern holds glob characters (`*`, `?`, `[…]`, `{a,b}`).
 *
 * @example
 * ```ts
 * import { isGlob } from "./glob.ts";
 * import { equal } from "node:assert/strict";
 * equal(isGlob("exports/2023-*.csv"), true);
 * equal(isGlob("exports/2023-01.csv"), false);
 * ```
 */
export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/**
 * A regular expression for one path segment of a glob.
 *
 * @example
 * ```ts
 * import { globSegmentToRegExp } from "./glob.ts";
 * import { equal } from "node:assert/strict";
 * const re = globSegmentToRegExp("q{1,2}-[!x]?.csv");
 * equal(re.test("q1-ab.csv"), true);
 * equal(re.test("q3-ab.csv"), false);
 * equal(re.test("q2-xb.csv"), false);
 * equal(globSegmentToRegExp("*.csv").test(".hidden.csv"), false);
 * ```
 */
export function globSegmentToRegExp(seg: string): RegExp {
  let re = "";
  let inBraces = 0;
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let body = seg.slice(i + 1, end);
        if (body.startsWith("!")) body = "^" + body.slice(1);
        re += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "{") {
      inBraces++;
      re += "(?:";
    } else if (c === "}" && inBraces > 0) {
      inBraces--;
      re += ")";
    } else if (c === "," && inBraces > 0) re += "|";
    else re += c.replace(/[.+^$()|\\\]}]/g, "\\$&");
  }
  // A leading wildcard does not match hidden files (as in a shell).
  const hidden = seg.startsWith(".") ? "" : "(?!\\.)";
  return new RegExp(`^${hidden}${re}$`);
}

/**
 * Expands a glob (`*`, `?`, `[…]`, `{a,b}` within a segment; `**` for any depth of folders) to
 * the sorted absolute paths of the files it matches.
 *
 * @param pattern the pattern, absolute or relative to `baseDir`
 * @param baseDir folder a relative pattern starts from
 */
export async function expandGlob(pattern: string, baseDir: string): Promise<string[]> {
  const abs = isAbsolute(pattern) ? pattern : join(baseDir, pattern);
  const segs = abs.split("/").filter((s, i) => s !== "" || i === 0);
  let first = segs.findIndex((s) => isGlob(s) || s === "**");
  if (first < 0) first = segs.length;
  const start = segs.slice(0, first).join("/") || "/";
  const rest = segs.slice(first);
  const out = new Set<string>();
  const walk = async (dir: string, i: number): Promise<void> => {
    if (i === rest.length) {
      const st = await Deno.stat(dir).catch(() => null);
      if (st?.isFile) out.add(dir);
      return;
    }
    const seg = rest[i];
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      return;
    }
    if (seg === "**") {
      await walk(dir, i + 1);
      for (const e of entries) {
        if (e.name.startsWith(".")) continue;
        const p = join(dir, e.name);
        const st = await Deno.stat(p).catch(() => null);
        if (st?.isDirectory) await walk(p, i);
      }
      return;
    }
    if (!isGlob(seg)) {
      await walk(join(dir, seg), i + 1);
      return;
    }
    const re = globSegmentToRegExp(seg);
    for (const e of entries) if (re.test(e.name)) await walk(join(dir, e.name), i + 1);
  };
  await walk(start, 0);
  return [...out].sort();
}
