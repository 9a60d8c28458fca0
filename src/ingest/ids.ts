/**
 * Customer-id text normalisation: the same customer written `12345`, `12345.0`, `1.2345e4`,
 * ` 12345 ` (a non-breaking space) or `12345\u200b` (a zero-width space) is one customer.
 * The regular expressions run in polars (Rust syntax, also valid in JavaScript); the
 * scientific-notation arithmetic runs here, exactly, on text. Pure.
 *
 * @module
 */

/**
 * Characters removed anywhere in a customer id: zero-width space, non-joiner and joiner, word
 * joiner, byte-order mark (Unicode spaces at either end are trimmed as well).
 */
export const ZERO_WIDTH = "[\u200b\u200c\u200d\u2060\ufeff]";

/** A decimal with a zero fraction (`17850.0`, `17850.`): group 1 is the integer text. */
export const ZERO_FRACTION = "^([0-9]+)\\.0*$";

/** Scientific notation with a non-negative exponent (`1.2345e4`, `1E+05`). */
export const SCIENTIFIC = "^[0-9]+(?:\\.[0-9]+)?[eE][+]?[0-9]+$";

/**
 * The integer text of a number in scientific notation when it is a whole number (exactly, digit by
 * digit, never through a float), else null.
 *
 * @example
 * ```ts
 * import { scientificToInteger } from "./ids.ts";
 * import { equal } from "node:assert/strict";
 * equal(scientificToInteger("1.2345e4"), "12345");
 * equal(scientificToInteger("1.2345E+04"), "12345");
 * equal(scientificToInteger("1.23456e4"), null); // 12345.6 is no identifier
 * equal(scientificToInteger("9.007199254740993e15"), "9007199254740993"); // beyond float precision
 * equal(scientificToInteger("12345"), null); // not scientific notation
 * ```
 */
export function scientificToInteger(text: string): string | null {
  const m = /^([0-9]+)(?:\.([0-9]+))?[eE]\+?([0-9]+)$/.exec(text);
  if (!m) return null;
  const exponent = Number(m[3]);
  if (exponent > 64) return null;
  const digits = m[1] + (m[2] ?? "");
  const point = m[1].length + exponent;
  let int: string;
  if (point >= digits.length) int = digits + "0".repeat(point - digits.length);
  else {
    if (!/^0*$/.test(digits.slice(point))) return null;
    int = digits.slice(0, point);
  }
  return int.replace(/^0+(?=[0-9])/, "");
}
