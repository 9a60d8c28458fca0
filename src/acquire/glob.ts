/**
 * Glob expansion for explicit file paths in a dataset description (`"path": "exports/*.csv"`):
 * `*`, `?`, `[…]` and `{a,b}` within a path segment, and `**` for any depth of folders. A leading
 * wildcard does not match hidden files, as in a shell.
 *
 * Each file is found once, by its real path: symbolic links are followed, but a file reached by
 * several paths (a link to it, a link to its folder, a link loop such as `a/loop -> ..`) is listed
 * once, and a folder is never walked twice for the same part of the pattern, so a link loop ends.
 * A segment with glob characters also matches an entry of exactly that name (`[2023] sales`).
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

/** The matcher of a glob segment: its regular expression, or none when it is not a valid one. */
function segmentMatcher(seg: string): (name: string) => boolean {
  let re: RegExp | null = null;
  try {
    re = globSegmentToRegExp(seg);
  } catch {
    re = null; // such as "[b-a]": only the literal name matches
  }
  return (name) => name === seg || (re !== null && re.test(name));
}

/**
 * Expands a glob (`*`, `?`, `[…]`, `{a,b}` within a segment; `**` for any depth of folders) to
 * the sorted real paths of the files it matches, each once.
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
  // (real folder, pattern position) pairs already walked: a link loop is walked once.
  const walked = new Set<string>();
  const walk = async (dir: string, i: number): Promise<void> => {
    if (i === rest.length) {
      const st = await Deno.stat(dir).catch(() => null);
      if (st?.isFile) out.add(await Deno.realPath(dir));
      return;
    }
    let real: string;
    try {
      real = await Deno.realPath(dir);
    } catch {
      return;
    }
    const key = `${i}\0${real}`;
    if (walked.has(key)) return;
    walked.add(key);
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
    const matches = segmentMatcher(seg);
    for (const e of entries) if (matches(e.name)) await walk(join(dir, e.name), i + 1);
  };
  await walk(start, 0);
  return [...out].sort();
}
