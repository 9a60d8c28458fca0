/**
 * Quoting values in messages: a value from a user's file or configuration (a field, a line, a
 * pattern) is shown as a short quoted excerpt, never echoed whole, so that a 1 MB field or a binary
 * line cannot flood an error message. Pure (no Deno or Node API).
 *
 * @module
 */

/** The most characters of a value quoted in a message. */
export const EXCERPT_CHARS = 80;

/**
 * A value as quoted in a message: in double quotes, at most `max` characters of it (default
 * {@link EXCERPT_CHARS}) followed by `…` when it is longer, with quotes, backslashes and control
 * characters escaped as in JSON (a newline shows as `\n`). Only the head of a long value is read.
 *
 * @example
 * ```ts
 * import { excerpt } from "./text.ts";
 * import { equal } from "node:assert/strict";
 * equal(excerpt("C"), '"C"');
 * equal(excerpt('a "b"\n'), '"a \\"b\\"\\n"');
 * equal(excerpt("x".repeat(1_000_000), 5), '"xxxxx…"');
 * equal(excerpt(12.5), '"12.5"');
 * ```
 */
export function excerpt(value: unknown, max: number = EXCERPT_CHARS): string {
  const text = typeof value === "string" ? value : String(value);
  if (text.length <= max) return JSON.stringify(text);
  // Do not cut a surrogate pair in half.
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${JSON.stringify(text.slice(0, end)).slice(0, -1)}…"`;
}

/**
 * A list of names (columns, fields) for a message, comma-separated and unquoted: each name cut to
 * `max` characters, and the list cut after `maxTotal` characters with the number left out.
 *
 * @example
 * ```ts
 * import { excerptList } from "./text.ts";
 * import { equal } from "node:assert/strict";
 * equal(excerptList(["Ref", "Item"]), "Ref, Item");
 * equal(excerptList(["a".repeat(100)], 3), "aaa…");
 * equal(excerptList(["ab", "cd", "ef"], 80, 6), "ab, cd, … (1 more)");
 * ```
 */
export function excerptList(
  names: readonly string[],
  max: number = EXCERPT_CHARS,
  maxTotal: number = 4 * EXCERPT_CHARS,
): string {
  const out: string[] = [];
  let length = 0;
  for (const [i, name] of names.entries()) {
    if (length >= maxTotal) {
      out.push(`… (${names.length - i} more)`);
      break;
    }
    const shown = name.length > max ? `${name.slice(0, max)}…` : name;
    out.push(shown);
    length += shown.length + 2;
  }
  return out.join(", ");
}
