/**
 * The customer list as a CSV file a spreadsheet opens safely and faithfully (the Customers page's
 * download; the build's own CSV files go through `lib/csv.ts`):
 *
 * - **formula injection**: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
 *   return (and is not a plain number) gets a leading `'` (`lib/csv.ts`'s `csvField`), so a
 *   spreadsheet shows it as text instead of running it;
 * - **identifiers stay text**: in a column marked `id`, when some id would lose something in a
 *   spreadsheet (a leading zero, or more than 15 digits), every all-digit id of the column is
 *   written as the text formula `="00042"`, which spreadsheets show as the text 00042 (the only
 *   formula the file can hold: digits between quotes);
 * - **UTF-8 with a byte-order mark**, so that a spreadsheet reads “”, − and accents right;
 * - numbers as JavaScript writes them (a dot for decimals), missing values as empty cells.
 *
 * Pure: the pages run it in the browser.
 *
 * @module
 */

import { csvField } from "../lib/csv.ts";

/** One column of the file. */
export interface CsvColumn {
  /** The header. */
  name: string;
  /** The value of a row (by row index). */
  value: (row: number) => string | number | boolean | null | undefined;
  /** An identifier column: kept as text in spreadsheets (see the module notes). */
  id?: boolean;
}

/** An id a spreadsheet would mangle: all digits with a leading zero, or more than 15 digits. */
const MANGLED = /^(0\d+|\d{16,})$/;

/**
 * The rows as CSV text (header first, CRLF line ends, byte-order mark), in the order given.
 *
 * @example
 * ```ts
 * import { spreadsheetCsv } from "./download.ts";
 * import { equal } from "node:assert/strict";
 * const ids = ["00042", "12346"];
 * const notes = ["=HYPERLINK(\"http://x\")", "+ 9 invoices; − no purchase in 200 days"];
 * const csv = spreadsheetCsv([
 *   { name: "customer_id", value: (i) => ids[i], id: true },
 *   { name: "note", value: (i) => notes[i] },
 *   { name: "score", value: (i) => [812, -3.5][i] },
 * ], [1, 0]);
 * equal(
 *   csv,
 *   "\uFEFFcustomer_id,note,score\r\n" +
 *     '"=""12346""","\'+ 9 invoices; − no purchase in 200 days",-3.5\r\n' +
 *     '"=""00042""","\'=HYPERLINK(""http://x"")",812\r\n',
 * );
 * // ids that no spreadsheet mangles are written as they are
 * equal(spreadsheetCsv([{ name: "id", value: () => "12346", id: true }], [0]), "\uFEFFid\r\n12346\r\n");
 * ```
 *
 * @param columns the columns, in order
 * @param rows the row indices, in the order to write them
 */
export function spreadsheetCsv(columns: readonly CsvColumn[], rows: Iterable<number>): string {
  const order = Array.from(rows);
  const protect = columns.map((c) =>
    c.id === true && order.some((i) => MANGLED.test(String(c.value(i) ?? "")))
  );
  const lines = [columns.map((c) => csvField(c.name)).join(",")];
  for (const i of order) {
    lines.push(columns.map((c, j) => cell(c.value(i), protect[j])).join(","));
  }
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}

/** One cell: numbers as they are, text neutralised and quoted as needed. */
function cell(v: string | number | boolean | null | undefined, protect: boolean): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (protect && /^\d+$/.test(v)) return `"=""${v}"""`;
  return csvField(v);
}
