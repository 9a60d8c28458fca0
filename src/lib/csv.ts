/**
 * Spreadsheet-safe CSV: every CSV the workspace writes goes through {@link safeCsv}, which
 * neutralises cells a spreadsheet would run as a formula ("CSV injection", OWASP).
 *
 * A cell is neutralised when it starts with `=`, `+`, `-`, `@`, a tab or a carriage return and is
 * not a plain number: it gets a leading apostrophe (`'=HYPERLINK(…)`, which spreadsheets show as
 * text) and is quoted. Numbers stay numbers: `-12.5` or `+3` is left as it is, and so is every
 * cell that does not start with one of those characters, byte for byte.
 *
 * @module
 */

/** Characters that make a spreadsheet read a cell as a formula. */
const TRIGGERS = new Set(["=", "+", "-", "@", "\t", "\r"]);

/** A plain decimal number (optionally signed, with a fraction or an exponent). */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Whether a cell's value would be read as a formula by a spreadsheet.
 *
 * @example
 * ```ts
 * import { isFormulaLike } from "./csv.ts";
 * import { equal } from "node:assert/strict";
 * equal(isFormulaLike("=1+2"), true);
 * equal(isFormulaLike("@SUM(A1)"), true);
 * equal(isFormulaLike("-12.5"), false); // a number
 * equal(isFormulaLike("Loyal"), false);
 * ```
 */
export function isFormulaLike(value: string): boolean {
  return value.length > 0 && TRIGGERS.has(value[0]) && !PLAIN_NUMBER.test(value);
}

/**
 * A cell's value as a safe CSV field: neutralised and quoted when it is formula-like, else
 * quoted only when it has to be (separator, quote or line break), quotes doubled.
 *
 * @example
 * ```ts
 * import { csvField } from "./csv.ts";
 * import { equal } from "node:assert/strict";
 * equal(csvField("=cmd|' /C calc'!A0"), `"'=cmd|' /C calc'!A0"`);
 * equal(csvField("-3.5"), "-3.5");
 * equal(csvField('say "hi", then go'), '"say ""hi"", then go"');
 * ```
 */
export function csvField(value: string, separator = ","): string {
  if (isFormulaLike(value)) return `"'${value.replaceAll('"', '""')}"`;
  if (value.includes(separator) || /["\r\n]/.test(value)) {
    return `"${value.replaceAll('"', '""')}"`;
  }
  return value;
}

/** Whether a CSV text may hold a formula-like cell (a trigger at the start of some field). */
const MAYBE_UNSAFE = /(^|[,\n\r])"?[=+\-@\t\r]/;

/**
 * Makes a CSV text (RFC 4180: `"` quotes, doubled quotes inside, any line ending) safe to open in
 * a spreadsheet: every formula-like cell is neutralised ({@link csvField}); every other field,
 * the separators and the line endings are kept exactly as they were.
 *
 * @param text CSV text, as written by polars' `writeCSV` or any RFC 4180 writer
 * @param separator the field separator (default `,`)
 *
 * @example
 * ```ts
 * import { safeCsv } from "./csv.ts";
 * import { equal } from "node:assert/strict";
 * equal(
 *   safeCsv("customer_id,country,monetary\n=1+2,@evil,-12.5\n42,UK,3\n"),
 *   `customer_id,country,monetary\n"'=1+2","'@evil",-12.5\n42,UK,3\n`,
 * );
 * ```
 */
export function safeCsv(text: string, separator = ","): string {
  if (separator === "," && !MAYBE_UNSAFE.test(text)) return text;
  const sep = separator;
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    // One field starts at i (at the start of the text, after a separator or a line break).
    const start = i;
    let value: string;
    if (text[i] === '"') {
      let j = i + 1;
      let v = "";
      while (j < n) {
        const q = text.indexOf('"', j);
        if (q < 0) throw new Error(`CSV: unterminated quoted field at offset ${start}`);
        v += text.slice(j, q);
        if (text[q + 1] === '"') {
          v += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      value = v;
      i = j;
    } else {
      let j = i;
      while (j < n && text[j] !== sep && text[j] !== "\n" && text[j] !== "\r") j++;
      value = text.slice(i, j);
      i = j;
    }
    out.push(isFormulaLike(value) ? csvField(value, sep) : text.slice(start, i));
    // What ends the field: a separator, a line break (\n, \r\n or \r), or the end.
    if (i < n) {
      if (text[i] === sep) {
        out.push(sep);
        i++;
        if (i === n) break; // a trailing separator ends the text with an empty field
      } else if (text[i] === "\r" && text[i + 1] === "\n") {
        out.push("\r\n");
        i += 2;
      } else if (text[i] === "\n" || text[i] === "\r") {
        out.push(text[i]);
        i++;
      } else {
        throw new Error(`CSV: unexpected character after a quoted field at offset ${i}`);
      }
    }
  }
  return out.join("");
}
