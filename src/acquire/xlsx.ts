/**
 * A minimal, fast reader for Excel `.xlsx` workbooks (Office Open XML spreadsheets).
 *
 * It is pure — bytes in, rows out — and handles what a data export needs: the sheet list
 * (`xl/workbook.xml` and its relationships), shared strings (`t="s"`), inline strings
 * (`t="inlineStr"`), formula strings (`t="str"`), numbers, booleans, error cells, ISO dates
 * (`t="d"`), cells left out of a row (their column letters give the position), and numbers with a
 * date style, which are returned as {@link Date}s. Sheets are scanned with `indexOf`, not a DOM,
 * so a sheet of a million rows reads in seconds.
 *
 * Dates are naive: a returned `Date` holds the workbook's wall-clock time in its UTC fields
 * (`getUTCHours()` is the hour shown in Excel), because a workbook stores no time zone.
 *
 * Not supported: formulas (only their cached values are read), rich formatting, merged cells,
 * namespace-prefixed element names (`<x:c>`), and encrypted workbooks.
 *
 * @module
 */
import { unzipSync } from "fflate";
import { excerpt } from "../lib/text.ts";
import { DAY_MS } from "../lib/time.ts";

/** The value of one cell. A missing or empty cell is `null`. */
export type CellValue = string | number | boolean | Date | null;

/** A malformed or unsupported workbook. */
export class XlsxError extends Error {
  /** @param message what is wrong */
  constructor(message: string) {
    super(message);
    this.name = "XlsxError";
  }
}

/** A worksheet of a workbook. */
export interface SheetInfo {
  /** Name shown on the sheet's tab. */
  name: string;
  /** Path of the sheet's XML part inside the package, e.g. `xl/worksheets/sheet1.xml`. */
  path: string;
}

/** Context needed to turn a sheet's cells into values. */
export interface SheetContext {
  /** The workbook's shared strings, indexed by `<v>` of `t="s"` cells. */
  sharedStrings: readonly string[];
  /** For each cell style index (`s` attribute), whether its number format is a date. */
  dateStyles: readonly boolean[];
  /** Whether the workbook uses the 1904 date system. */
  date1904: boolean;
}

/** An opened workbook: its sheets and the shared parts needed to read them. */
export interface Workbook extends SheetContext {
  /** The worksheets, in tab order. */
  sheets: SheetInfo[];
  /**
   * Reads every row of a sheet; see {@link parseSheetXml} for the shape.
   * @throws {XlsxError} when there is no sheet of that name
   */
  readSheet(name: string): CellValue[][];
  /**
   * Calls `onRow` for each row of a sheet that has at least one cell element, in order;
   * see {@link forEachSheetRow}.
   * @throws {XlsxError} when there is no sheet of that name
   */
  forEachRow(name: string, onRow: (rowIndex: number, cells: CellValue[]) => void): void;
}

const decoder = new TextDecoder("utf-8");

/** Numbers of the built-in number formats that show a date or time. */
const BUILTIN_DATE_FORMATS = new Set([
  14,
  15,
  16,
  17,
  18,
  19,
  20,
  21,
  22,
  27,
  28,
  29,
  30,
  31,
  32,
  33,
  34,
  35,
  36,
  45,
  46,
  47,
  50,
  51,
  52,
  53,
  54,
  55,
  56,
  57,
  58,
]);

const ENTITY = /&(?:#(\d+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));/g;
const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const XSTRING_ESCAPE = /_x([0-9a-fA-F]{4})_/g;

/**
 * Decodes XML character data: the five named entities and numeric character references, then
 * the OOXML `_xHHHH_` escapes (used for control characters such as `_x000D_`).
 */
export function decodeXmlText(s: string): string {
  if (s.indexOf("&") >= 0) {
    s = s.replace(
      ENTITY,
      (_m, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
        if (name) return NAMED[name];
        return String.fromCodePoint(dec ? parseInt(dec, 10) : parseInt(hex!, 16));
      },
    );
  }
  if (s.indexOf("_x") >= 0) {
    s = s.replace(XSTRING_ESCAPE, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
  return s;
}

/**
 * The zero-based column index of a cell reference or column letters: `A1` → 0, `Z9` → 25,
 * `AA3` → 26. Returns -1 when the reference starts with no letter.
 */
export function columnIndex(ref: string): number {
  let n = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c >= 65 && c <= 90) n = n * 26 + (c - 64);
    else if (c >= 97 && c <= 122) n = n * 26 + (c - 96);
    else break;
  }
  return i === 0 ? -1 : n - 1;
}

/** 1899-12-30T00:00Z: day 0 of the 1900 date system, as corrected for Excel's 1900-02-29. */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
/** 1904-01-01T00:00Z: day 0 of the 1904 date system. */
const EPOCH_1904 = Date.UTC(1904, 0, 1);

/**
 * Milliseconds since 1970-01-01 of the wall-clock time that an Excel serial date shows, read as
 * if it were UTC (a naive date-time). In the 1900 system serial 1 is 1900-01-01 and serial 61 is
 * 1900-03-01; Excel's serial 60 is the non-existent 1900-02-29 and maps to 1900-03-01 here. The
 * result is rounded to the millisecond, which removes floating-point noise such as 07:44:59.99999.
 *
 * @param serial days (with a fraction for the time of day)
 * @param date1904 whether the workbook uses the 1904 date system (serial 0 is 1904-01-01)
 */
export function excelSerialToEpochMs(serial: number, date1904 = false): number {
  if (date1904) return EPOCH_1904 + Math.round(serial * DAY_MS);
  // Before Excel's phantom 1900-02-29 the serials run one day behind the real calendar.
  const days = serial < 61 ? serial + 1 : serial;
  return EPOCH_1900 + Math.round(days * DAY_MS);
}

/** {@link excelSerialToEpochMs} as a naive `Date` (the wall-clock time in its UTC fields). */
export function excelSerialToDate(serial: number, date1904 = false): Date {
  return new Date(excelSerialToEpochMs(serial, date1904));
}

/** The value of attribute `name` in an element's attribute text, or null. Decoded. */
function attr(tag: string, name: string): string | null {
  const re = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
  const m = re.exec(tag);
  if (!m) return null;
  return decodeXmlText(m[1] ?? m[2]);
}

/** Every element `<name …>` or `<name …/>` (un-prefixed) in `xml`, as its attribute text. */
function elements(xml: string, name: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${name}(\\s[^>]*)?>`, "g");
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m[1] ?? "");
  return out;
}

/**
 * The text of a string item (`<si>` or `<is>` content): the concatenated `<t>` runs, leaving out
 * phonetic runs (`<rPh>`).
 */
function stringItemText(inner: string): string {
  if (inner.indexOf("<rPh") >= 0) inner = inner.replace(/<rPh\b[\s\S]*?<\/rPh>/g, "");
  let out = "";
  let p = 0;
  for (;;) {
    const t = inner.indexOf("<t", p);
    if (t < 0) break;
    const c = inner.charCodeAt(t + 2);
    // `<t>` or `<t …>`; skip other tags that start with "t" (none in SpreadsheetML, but be safe).
    if (c !== 62 /* > */ && c !== 32 && c !== 47 /* / */ && c !== 9 && c !== 10 && c !== 13) {
      p = t + 2;
      continue;
    }
    const gt = inner.indexOf(">", t);
    if (gt < 0) break;
    if (inner.charCodeAt(gt - 1) === 47) { // `<t/>`
      p = gt + 1;
      continue;
    }
    const end = inner.indexOf("</t>", gt);
    if (end < 0) throw new XlsxError("unterminated <t> element in a string item");
    out += inner.slice(gt + 1, end);
    p = end + 4;
  }
  return decodeXmlText(out);
}

/**
 * Parses `xl/sharedStrings.xml` into its list of strings (rich-text runs are concatenated).
 *
 * @param xml the part's text
 */
export function parseSharedStrings(xml: string): string[] {
  const out: string[] = [];
  let p = 0;
  for (;;) {
    const s = xml.indexOf("<si", p);
    if (s < 0) break;
    const gt = xml.indexOf(">", s);
    if (gt < 0) break;
    if (xml.charCodeAt(gt - 1) === 47) { // `<si/>`
      out.push("");
      p = gt + 1;
      continue;
    }
    const end = xml.indexOf("</si>", gt);
    if (end < 0) throw new XlsxError("sharedStrings.xml: unterminated <si> element");
    out.push(stringItemText(xml.slice(gt + 1, end)));
    p = end + 5;
  }
  return out;
}

/** Whether a custom number format code shows a date or time. */
export function isDateFormatCode(code: string): boolean {
  const stripped = code
    .replace(/"[^"]*"/g, "") // quoted literals
    .replace(/\\./g, "") // escaped characters
    .replace(/\[(?:[hms]+)\]/gi, "h") // elapsed time [h] [mm] [ss] is a time
    .replace(/\[[^\]]*\]/g, "") // colours, conditions, locales
    .replace(/_.|\*./g, ""); // padding
  if (/general/i.test(stripped)) return false;
  return /[dmyhs]/i.test(stripped);
}

/**
 * Parses `xl/styles.xml` into a flag per cell style (`cellXfs` entry): whether the style's number
 * format shows a date or time.
 *
 * @param xml the part's text
 */
export function parseDateStyles(xml: string): boolean[] {
  const custom = new Map<number, string>();
  for (const a of elements(xml, "numFmt")) {
    const id = attr(a, "numFmtId");
    const code = attr(a, "formatCode");
    if (id !== null && code !== null) custom.set(Number(id), code);
  }
  const start = xml.indexOf("<cellXfs");
  if (start < 0) return [];
  const end = xml.indexOf("</cellXfs>", start);
  const section = xml.slice(start, end < 0 ? xml.length : end);
  return elements(section, "xf").map((a) => {
    const id = Number(attr(a, "numFmtId") ?? "0");
    const code = custom.get(id);
    return code !== undefined ? isDateFormatCode(code) : BUILTIN_DATE_FORMATS.has(id);
  });
}

/** Resolves a relationship target against the folder of the part that owns it. */
function resolveTarget(baseDir: string, target: string): string {
  if (target.startsWith("/")) return target.slice(1);
  const parts = (baseDir ? baseDir.split("/") : []).concat(target.split("/"));
  const out: string[] = [];
  for (const p of parts) {
    if (p === "..") out.pop();
    else if (p !== "." && p !== "") out.push(p);
  }
  return out.join("/");
}

/** Relationship id → target of a `.rels` part. */
function parseRels(xml: string): Map<string, { target: string; type: string }> {
  const out = new Map<string, { target: string; type: string }>();
  for (const a of elements(xml, "Relationship")) {
    const id = attr(a, "Id");
    const target = attr(a, "Target");
    if (id !== null && target !== null) out.set(id, { target, type: attr(a, "Type") ?? "" });
  }
  return out;
}

/**
 * Lists the worksheets of `xl/workbook.xml` (in tab order) with their part paths, and reads the
 * date system.
 *
 * @param workbookXml text of the workbook part
 * @param relsXml text of the workbook's relationships part
 * @param workbookPath path of the workbook part (default `xl/workbook.xml`)
 */
export function parseWorkbook(
  workbookXml: string,
  relsXml: string,
  workbookPath = "xl/workbook.xml",
): { sheets: SheetInfo[]; date1904: boolean } {
  const rels = parseRels(relsXml);
  const dir = workbookPath.includes("/")
    ? workbookPath.slice(0, workbookPath.lastIndexOf("/"))
    : "";
  const sheets: SheetInfo[] = [];
  for (const a of elements(workbookXml, "sheet")) {
    const name = attr(a, "name");
    const rid = /(?:^|\s)[A-Za-z_][\w.-]*:id\s*=\s*"([^"]*)"/.exec(a)?.[1];
    if (name === null || rid === undefined) {
      throw new XlsxError("workbook.xml: a <sheet> has no name or r:id");
    }
    const rel = rels.get(rid);
    if (!rel) {
      throw new XlsxError(
        `workbook.xml: sheet ${excerpt(name)} refers to unknown relationship ${excerpt(rid)}`,
      );
    }
    // Chart sheets and dialog sheets have no cells; list only worksheets.
    if (rel.type && !rel.type.endsWith("/worksheet")) continue;
    sheets.push({ name, path: resolveTarget(dir, rel.target) });
  }
  const pr = elements(workbookXml, "workbookPr")[0];
  const d1904 = pr === undefined ? null : attr(pr, "date1904");
  return { sheets, date1904: d1904 === "1" || d1904 === "true" };
}

/** A cell's name for messages: its reference, or its row and column when it has none. */
function cellName(
  xml: string,
  rStart: number,
  rEnd: number,
  rowIndex: number,
  col: number,
): string {
  // A reference is a few characters (`XFD1048576`); a longer one is quoted as an excerpt.
  if (rStart < 0) return `row ${rowIndex + 1} column ${col + 1}`;
  return rEnd - rStart <= 12 ? xml.slice(rStart, rEnd) : excerpt(xml.slice(rStart, rEnd));
}

/** Converts one cell's raw parts into a value. */
function cellValue(
  type: string | null,
  style: number,
  v: string | null,
  inline: string | null,
  ctx: SheetContext,
  xml: string,
  rStart: number,
  rEnd: number,
  rowIndex: number,
  col: number,
): CellValue {
  const ref = () => cellName(xml, rStart, rEnd, rowIndex, col);
  switch (type) {
    case null:
    case "n": {
      if (v === null || v === "") return null;
      const n = Number(v);
      if (Number.isNaN(n)) throw new XlsxError(`cell ${ref()}: ${excerpt(v)} is not a number`);
      return ctx.dateStyles[style] ? excelSerialToDate(n, ctx.date1904) : n;
    }
    case "s": {
      if (v === null || v === "") return null;
      const s = ctx.sharedStrings[Number(v)];
      if (s === undefined) {
        const index = /^\d{1,12}$/.test(v) ? v : excerpt(v);
        throw new XlsxError(`cell ${ref()}: shared string ${index} does not exist`);
      }
      return s;
    }
    case "inlineStr":
      return inline === null ? (v === null ? null : decodeXmlText(v)) : stringItemText(inline);
    case "str":
      return v === null ? null : decodeXmlText(v);
    case "b":
      return v === null || v === "" ? null : v === "1" || v === "true";
    case "e":
      return v === null ? null : decodeXmlText(v);
    case "d": {
      if (v === null || v === "") return null;
      // ISO 8601 without a zone is a wall-clock time: read it as UTC to keep it naive.
      const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : v.includes("T") ? v + "Z" : v + "T00:00:00Z";
      const d = new Date(iso);
      if (Number.isNaN(d.getTime())) {
        throw new XlsxError(`cell ${ref()}: ${excerpt(v)} is not a date`);
      }
      return d;
    }
    default:
      throw new XlsxError(`cell ${ref()}: unknown cell type t=${excerpt(type)}`);
  }
}

/**
 * Reads the `r`, `t` and `s` attributes of an element by character codes. One scanner serves a
 * whole sheet scan and is overwritten by each {@link AttrScanner.scan} (no allocation per cell);
 * its fields hold the attributes of the element last scanned.
 */
class AttrScanner {
  /** Start of the `r` value in the XML, or -1 when absent. */
  rStart = -1;
  /** End (exclusive) of the `r` value, or -1 when absent. */
  rEnd = -1;
  /** The `t` value, or null. */
  t: string | null = null;
  /** The `s` value (0 when absent). */
  s = 0;

  /** Reads the attributes of an element whose attribute text is `xml[from, to)`. */
  scan(xml: string, from: number, to: number): void {
    this.rStart = -1;
    this.rEnd = -1;
    this.t = null;
    this.s = 0;
    let p = from;
    while (p < to) {
      let c = xml.charCodeAt(p);
      if (c <= 32) {
        p++;
        continue;
      }
      const nameStart = p;
      while (p < to && (c = xml.charCodeAt(p)) !== 61 /* = */ && c > 32) p++;
      const nameLen = p - nameStart;
      while (p < to && xml.charCodeAt(p) !== 61) p++;
      p++;
      while (p < to && xml.charCodeAt(p) <= 32) p++;
      const quote = xml.charCodeAt(p);
      if (quote !== 34 && quote !== 39) return; // malformed: stop reading attributes
      const vStart = p + 1;
      const vEnd = xml.indexOf(quote === 34 ? '"' : "'", vStart);
      if (vEnd < 0 || vEnd > to) return;
      if (nameLen === 1) {
        const n = xml.charCodeAt(nameStart);
        if (n === 114 /* r */) {
          this.rStart = vStart;
          this.rEnd = vEnd;
        } else if (n === 116 /* t */) {
          this.t = xml.slice(vStart, vEnd);
        } else if (n === 115 /* s */) {
          let v = 0;
          for (let i = vStart; i < vEnd; i++) v = v * 10 + (xml.charCodeAt(i) - 48);
          this.s = v;
        }
      }
      p = vEnd + 1;
    }
  }
}

/** Column index (A → 0) of the cell reference `xml[from, to)`; -1 when it starts with no letter. */
function refColumn(xml: string, from: number, to: number): number {
  let n = 0;
  let i = from;
  for (; i < to; i++) {
    const c = xml.charCodeAt(i);
    if (c >= 65 && c <= 90) n = n * 26 + (c - 64);
    else if (c >= 97 && c <= 122) n = n * 26 + (c - 96);
    else break;
  }
  return i === from ? -1 : n - 1;
}

/**
 * Scans a worksheet's XML and calls `onRow` for each `<row>` that holds cell elements, in
 * document order. `rowIndex` is zero-based (Excel row 1 → 0); `cells[i]` is the value of column
 * i (A → 0); columns left out of the row are `null`, and the array ends at the last cell present.
 *
 * @param xml text of the worksheet part
 * @param ctx shared strings, date styles and date system of the workbook
 * @param onRow receives each row; the array is not reused
 * @throws {XlsxError} on a malformed cell
 */
export function forEachSheetRow(
  xml: string,
  ctx: SheetContext,
  onRow: (rowIndex: number, cells: CellValue[]) => void,
): void {
  const dataStart = xml.indexOf("<sheetData");
  if (dataStart < 0) return;
  let dataEnd = xml.indexOf("</sheetData>", dataStart);
  if (dataEnd < 0) dataEnd = xml.length;
  const attrs = new AttrScanner();
  let p = dataStart;
  let nextRow = 0;
  for (;;) {
    const rs = xml.indexOf("<row", p);
    if (rs < 0 || rs >= dataEnd) break;
    const rgt = xml.indexOf(">", rs);
    if (rgt < 0) throw new XlsxError("unterminated <row> element");
    attrs.scan(xml, rs + 4, rgt);
    const rowIndex = attrs.rStart >= 0 ? Number(xml.slice(attrs.rStart, attrs.rEnd)) - 1 : nextRow;
    if (!Number.isInteger(rowIndex) || rowIndex < 0) {
      throw new XlsxError(`bad row number ${excerpt(xml.slice(attrs.rStart, attrs.rEnd))}`);
    }
    nextRow = rowIndex + 1;
    if (xml.charCodeAt(rgt - 1) === 47) { // `<row …/>`: no cells
      p = rgt + 1;
      continue;
    }
    const re = xml.indexOf("</row>", rgt);
    if (re < 0) throw new XlsxError(`row ${rowIndex + 1}: unterminated <row> element`);
    const cells: CellValue[] = [];
    let col = 0;
    let q = rgt + 1;
    for (;;) {
      const cs = xml.indexOf("<c", q);
      if (cs < 0 || cs >= re) break;
      const after = xml.charCodeAt(cs + 2);
      if (
        after !== 32 && after !== 62 && after !== 47 && after !== 9 && after !== 10 && after !== 13
      ) {
        q = cs + 2; // another element whose name starts with "c"
        continue;
      }
      const cgt = xml.indexOf(">", cs);
      const selfClosing = xml.charCodeAt(cgt - 1) === 47;
      attrs.scan(xml, cs + 2, selfClosing ? cgt - 1 : cgt);
      const type = attrs.t;
      const style = attrs.s;
      const rStart = attrs.rStart;
      const rEnd = attrs.rEnd;
      if (rStart >= 0) {
        const ci = refColumn(xml, rStart, rEnd);
        if (ci < 0) {
          throw new XlsxError(
            `row ${rowIndex + 1}: bad cell reference ${excerpt(xml.slice(rStart, rEnd))}`,
          );
        }
        col = ci;
      }
      let value: CellValue = null;
      if (selfClosing) {
        q = cgt + 1;
      } else {
        const ce = xml.indexOf("</c>", cgt);
        if (ce < 0 || ce > re) {
          throw new XlsxError(
            `cell ${cellName(xml, rStart, rEnd, rowIndex, col)}: unterminated <c> element`,
          );
        }
        let v: string | null = null;
        let inline: string | null = null;
        const vs = xml.indexOf("<v", cgt);
        if (vs >= 0 && vs < ce) {
          const vgt = xml.indexOf(">", vs);
          if (xml.charCodeAt(vgt - 1) !== 47) {
            const ve = xml.indexOf("</v>", vgt);
            v = xml.slice(vgt + 1, ve);
          } else v = "";
        }
        if (type === "inlineStr") {
          const is = xml.indexOf("<is", cgt);
          if (is >= 0 && is < ce) {
            const igt = xml.indexOf(">", is);
            const ie = xml.indexOf("</is>", igt);
            inline = ie < 0 || ie > ce ? "" : xml.slice(igt + 1, ie);
          }
        }
        value = cellValue(type, style, v, inline, ctx, xml, rStart, rEnd, rowIndex, col);
        q = ce + 4;
      }
      if (value !== null) {
        while (cells.length < col) cells.push(null);
        cells[col] = value;
      }
      col++;
    }
    onRow(rowIndex, cells);
    p = re + 6;
  }
}

/**
 * Parses a worksheet's XML into rows: `rows[i]` is Excel row i + 1 (a row absent from the sheet
 * is an empty array) and `rows[i][j]` is column j (A → 0), `null` where the cell is missing.
 *
 * @param xml text of the worksheet part
 * @param ctx shared strings, date styles and date system of the workbook
 */
export function parseSheetXml(xml: string, ctx: SheetContext): CellValue[][] {
  const rows: CellValue[][] = [];
  forEachSheetRow(xml, ctx, (i, cells) => {
    while (rows.length < i) rows.push([]);
    rows[i] = cells;
  });
  return rows;
}

/** Unzips the named parts of a package; missing parts are absent from the result. */
function unzipParts(bytes: Uint8Array, names: ReadonlySet<string>): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes, { filter: (f) => names.has(f.name) });
  } catch (e) {
    throw new XlsxError(`not a valid xlsx (zip) file: ${(e as Error).message}`);
  }
}

/**
 * Opens an `.xlsx` workbook from its bytes. Only the small parts (workbook, relationships,
 * shared strings, styles) are decompressed here; each sheet is decompressed when read.
 *
 * @param bytes the workbook file
 * @throws {XlsxError} when the bytes are not an xlsx workbook
 */
export function openWorkbook(bytes: Uint8Array): Workbook {
  const text = (parts: Record<string, Uint8Array>, name: string) =>
    parts[name] === undefined ? null : decoder.decode(parts[name]);
  const root = unzipParts(bytes, new Set(["_rels/.rels"]));
  let workbookPath = "xl/workbook.xml";
  const rootRels = text(root, "_rels/.rels");
  if (rootRels !== null) {
    for (const rel of parseRels(rootRels).values()) {
      if (rel.type.endsWith("/officeDocument")) workbookPath = resolveTarget("", rel.target);
    }
  }
  const dir = workbookPath.includes("/")
    ? workbookPath.slice(0, workbookPath.lastIndexOf("/"))
    : "";
  const relsPath = `${dir ? dir + "/" : ""}_rels/${
    workbookPath.slice(dir ? dir.length + 1 : 0)
  }.rels`;
  const first = unzipParts(bytes, new Set([workbookPath, relsPath]));
  const wbXml = text(first, workbookPath);
  const relsXml = text(first, relsPath);
  if (wbXml === null) throw new XlsxError(`not an xlsx workbook: no ${workbookPath}`);
  if (relsXml === null) throw new XlsxError(`not an xlsx workbook: no ${relsPath}`);
  const { sheets, date1904 } = parseWorkbook(wbXml, relsXml, workbookPath);
  const rels = parseRels(relsXml);
  let sstPath: string | null = null;
  let stylesPath: string | null = null;
  for (const rel of rels.values()) {
    if (rel.type.endsWith("/sharedStrings")) sstPath = resolveTarget(dir, rel.target);
    if (rel.type.endsWith("/styles")) stylesPath = resolveTarget(dir, rel.target);
  }
  sstPath ??= `${dir ? dir + "/" : ""}sharedStrings.xml`;
  stylesPath ??= `${dir ? dir + "/" : ""}styles.xml`;
  const shared = unzipParts(bytes, new Set([sstPath, stylesPath]));
  const sstXml = text(shared, sstPath);
  const stylesXml = text(shared, stylesPath);
  const ctx: SheetContext = {
    sharedStrings: sstXml === null ? [] : parseSharedStrings(sstXml),
    dateStyles: stylesXml === null ? [] : parseDateStyles(stylesXml),
    date1904,
  };
  const sheetXml = (name: string): string => {
    const info = sheets.find((s) => s.name === name);
    if (!info) {
      throw new XlsxError(
        `no sheet named ${excerpt(name)} (the workbook has: ${
          sheets.slice(0, 20).map((s) => excerpt(s.name)).join(", ")
        }${sheets.length > 20 ? `, … (${sheets.length} sheets)` : ""})`,
      );
    }
    const part = unzipParts(bytes, new Set([info.path]))[info.path];
    if (part === undefined) {
      throw new XlsxError(`sheet ${excerpt(name)}: part ${excerpt(info.path)} is missing`);
    }
    return decoder.decode(part);
  };
  return {
    ...ctx,
    sheets,
    readSheet: (name) => parseSheetXml(sheetXml(name), ctx),
    forEachRow: (name, onRow) => forEachSheetRow(sheetXml(name), ctx, onRow),
  };
}
