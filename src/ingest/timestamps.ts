/**
 * Timestamp text: what a strftime format must match (the whole value, not a prefix of it), the
 * explicit UTC offsets a value may carry, and fixed-offset time zones. Pure (no polars), so it
 * is easy to test; `ingest.ts` runs the patterns in polars.
 *
 * Rules:
 *
 * - a value must match its format completely: `2011-06-01 10:00:00 PM` or `10:00:00xyz` under
 *   `%Y-%m-%d %H:%M:%S` do not parse (the row is `bad_timestamp`), where a plain strptime
 *   would read the first 19 characters and ignore the rest;
 * - a value may end in an explicit offset after its time of day: `Z`, `+02:00`, `+0200`, `-05`;
 *   the offset then wins over the dataset's `timezone` (a format ending in `%z` or a literal `Z`
 *   reads offsets the same way);
 * - a dataset `timezone` may be a fixed offset `±HH:MM` (see {@link fixedOffsetMinutes}).
 *
 * @module
 */

/**
 * A Rust/JavaScript regular expression for an explicit offset at the end of a timestamp, after
 * its time of day: group 1 is the value without the offset, group 2 the offset.
 *
 * @example
 * ```ts
 * import { OFFSET_SUFFIX } from "./timestamps.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const m = new RegExp(OFFSET_SUFFIX).exec("2011-06-01 10:00:00+02:00")!;
 * deepEqual([m[1], m[2]], ["2011-06-01 10:00:00", "+02:00"]);
 * equal(new RegExp(OFFSET_SUFFIX).exec("2011-06-01T10:00:00.5Z")![2], "Z");
 * equal(new RegExp(OFFSET_SUFFIX).exec("2011-06-01"), null);
 * ```
 */
export const OFFSET_SUFFIX =
  "^(.*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?)\\s*(Z|[+-][0-9]{2}(?::?[0-9]{2})?)$";

/**
 * Minutes east of UTC of an offset written `Z`, `±HH`, `±HHMM` or `±HH:MM`, or null when it is
 * none or out of range (beyond ±14:00, minutes over 59).
 *
 * @example
 * ```ts
 * import { offsetMinutes } from "./timestamps.ts";
 * import { equal } from "node:assert/strict";
 * equal(offsetMinutes("+02:00"), 120);
 * equal(offsetMinutes("-0530"), -330);
 * equal(offsetMinutes("Z"), 0);
 * equal(offsetMinutes("+25:00"), null);
 * ```
 */
export function offsetMinutes(offset: string): number | null {
  if (offset === "Z") return 0;
  const m = /^([+-])(\d{2})(?::?(\d{2}))?$/.exec(offset);
  if (!m) return null;
  const hours = Number(m[2]);
  const minutes = m[3] === undefined ? 0 : Number(m[3]);
  if (hours > 14 || minutes > 59) return null;
  return (m[1] === "-" ? -1 : 1) * (hours * 60 + minutes);
}

/**
 * The fixed offset of a dataset `timezone` written `±HH:MM` (as validated by the configuration),
 * in minutes east of UTC; null for a named zone.
 */
export function fixedOffsetMinutes(timezone: string): number | null {
  return /^[+-]\d{2}:\d{2}$/.test(timezone) ? offsetMinutes(timezone) : null;
}

/** A format prepared for parsing: the format polars parses, and whether values carry offsets. */
export interface PreparedFormat {
  /** The strftime format without its offset directive (`%z`) or literal trailing `Z`. */
  format: string;
  /** Whether the format has a time of day (else values parse as dates). */
  hasTime: boolean;
  /** Whether values may end in an explicit offset (false for formats with a zone name, `%Z`). */
  offsets: boolean;
  /** Rust regular expression a value without its offset must match completely. */
  pattern: string;
}

/** Escapes regular-expression metacharacters (valid in both Rust and JavaScript). */
function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Patterns of the chrono strftime directives (lenient on padding, strict on kind). */
const DIRECTIVES: Record<string, string> = {
  Y: "[+-]?[0-9]{4,}",
  C: "[0-9]{1,2}",
  y: "[0-9]{1,2}",
  G: "[+-]?[0-9]{4,}",
  g: "[0-9]{1,2}",
  m: "[0-9]{1,2}",
  b: "[A-Za-z]{3}",
  h: "[A-Za-z]{3}",
  B: "[A-Za-z]{3,9}",
  d: "[0-9]{1,2}",
  e: " ?[0-9]{1,2}",
  a: "[A-Za-z]{3}",
  A: "[A-Za-z]{6,9}",
  w: "[0-6]",
  u: "[1-7]",
  U: "[0-9]{1,2}",
  W: "[0-9]{1,2}",
  V: "[0-9]{1,2}",
  j: "[0-9]{1,3}",
  H: "[0-9]{1,2}",
  k: " ?[0-9]{1,2}",
  I: "[0-9]{1,2}",
  l: " ?[0-9]{1,2}",
  P: "[AaPp][Mm]",
  p: "[AaPp][Mm]",
  M: "[0-9]{1,2}",
  S: "[0-9]{1,2}",
  f: "[0-9]+",
  s: "[+-]?[0-9]+",
  t: "\\s*",
  n: "\\s*",
  "%": "%",
};

/** Composite directives, expanded before translation. */
const COMPOSITES: Record<string, string> = {
  D: "%m/%d/%y",
  x: "%m/%d/%y",
  F: "%Y-%m-%d",
  v: "%e-%b-%Y",
  R: "%H:%M",
  T: "%H:%M:%S",
  X: "%H:%M:%S",
  r: "%I:%M:%S %p",
  c: "%a %b %e %H:%M:%S %Y",
};

/**
 * The regular expression (Rust syntax, anchored) that a timestamp value must match completely
 * under strftime format `fmt`. Whitespace in the format matches any run of whitespace, as in
 * chrono; an unknown directive matches anything (polars then decides).
 *
 * @example
 * ```ts
 * import { formatPattern } from "./timestamps.ts";
 * import { equal } from "node:assert/strict";
 * const re = new RegExp(formatPattern("%Y-%m-%d %H:%M:%S"));
 * equal(re.test("2011-06-01 10:00:00"), true);
 * equal(re.test("2011-06-01 10:00:00 PM"), false);
 * equal(re.test("2011-06-01 10:00:00xyz"), false);
 * equal(new RegExp(formatPattern("%Y%m%d")).test("19970101"), true);
 * ```
 */
export function formatPattern(fmt: string): string {
  let expanded = fmt;
  for (let i = 0; i < 3; i++) {
    expanded = expanded.replace(/%([DxFvRTXrc])/g, (_, d: string) => COMPOSITES[d]);
  }
  let out = "";
  for (let i = 0; i < expanded.length; i++) {
    const c = expanded[i];
    if (c !== "%") {
      out += /\s/.test(c) ? "\\s*" : escape(c);
      continue;
    }
    // Directive, with chrono's optional modifiers: %-d, %_d, %0d, %.f, %.3f, %3f, %:z, %#z.
    let j = i + 1;
    let mod = "";
    while (j < expanded.length && /[-_0.:#1-9]/.test(expanded[j])) mod += expanded[j++];
    const d = expanded[j];
    i = j;
    if (d === undefined) {
      out += "%";
      break;
    }
    if (d === "f") out += mod.startsWith(".") ? "(?:\\.[0-9]+)?" : "[0-9]+";
    else if (d === "z") out += "(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)";
    else if (d === "Z") out += "[A-Za-z][A-Za-z0-9_/+-]*";
    else out += DIRECTIVES[d] ?? ".*?";
  }
  return `^${out}$`;
}

/**
 * Prepares a timestamp format: an offset directive `%z` (or `%:z`, `%#z`) or a literal `Z` at
 * the end is taken off, since the offset is read from the value itself ({@link OFFSET_SUFFIX}).
 *
 * @example
 * ```ts
 * import { prepareFormat } from "./timestamps.ts";
 * import { equal } from "node:assert/strict";
 * equal(prepareFormat("%Y-%m-%dT%H:%M:%S%z").format, "%Y-%m-%dT%H:%M:%S");
 * equal(prepareFormat("%Y-%m-%dT%H:%M:%SZ").format, "%Y-%m-%dT%H:%M:%S");
 * equal(prepareFormat("%Y%m%d").hasTime, false);
 * ```
 */
export function prepareFormat(fmt: string): PreparedFormat {
  let format = fmt.replace(/\s*%[:#]?z/g, "");
  if (/[^%]Z$/.test(format) && !/%Z$/.test(format)) format = format.slice(0, -1).trimEnd();
  return {
    format,
    hasTime: /%[-_0]?[HMSTIpRrkl]/.test(format),
    offsets: !/%Z/.test(format),
    pattern: formatPattern(format),
  };
}
