/**
 * A workbook sheet as a DataFrame shaped like the dataset's Parquet mirror: the conversion of the
 * official Online Retail II download (one `.xlsx` workbook, one sheet per file) into the columns,
 * names and types that ingest reads from the mirror's Parquet files.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { FileConfig, MappableColumn } from "../config/dataset.ts";
import { excerpt } from "../lib/text.ts";
import { DataError } from "./errors.ts";
import { type CellValue, excelSerialToEpochMs, type Workbook } from "./xlsx.ts";

/**
 * Header of a workbook column → canonical meaning. Both sheets of UCI's Online Retail II workbook
 * use the first eight headers; the others are the older "Online Retail" spellings.
 */
export const SHEET_HEADER_TO_CANONICAL: Readonly<Record<string, MappableColumn>> = {
  "Invoice": "invoice",
  "StockCode": "stock_code",
  "Description": "description",
  "Quantity": "quantity",
  "InvoiceDate": "timestamp",
  "Price": "unit_price",
  "Customer ID": "customer_id",
  "Country": "country",
  "InvoiceNo": "invoice",
  "UnitPrice": "unit_price",
  "CustomerID": "customer_id",
};

/** The type a column gets in the Parquet file. */
type Kind = "text" | "int" | "float" | "datetime";

/** The type of each canonical column, as the mirror's Parquet files hold it. */
const KIND: Record<MappableColumn, Kind> = {
  invoice: "text",
  stock_code: "text",
  description: "text",
  quantity: "int",
  timestamp: "datetime",
  unit_price: "float",
  line_value: "float",
  customer_id: "float",
  country: "text",
};

/** A date or date-time written as text in a cell (`2010-12-01 08:26:00`). */
const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A naive date as `YYYY-MM-DD HH:MM:SS`. */
function formatNaive(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** Converts one cell to the column's kind; `where` names the cell for errors. */
function convertCell(
  v: CellValue,
  kind: Kind,
  date1904: boolean,
  where: () => string,
): string | number | null {
  if (v === null) return null;
  switch (kind) {
    case "text":
      if (typeof v === "string") return v === "" ? null : v;
      if (typeof v === "number") return String(v);
      if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
      return formatNaive(v);
    case "int":
    case "float": {
      let n: number;
      if (typeof v === "number") n = v;
      else if (typeof v === "string") {
        const s = v.trim();
        if (s === "") return null;
        n = Number(s);
      } else n = NaN;
      if (!Number.isFinite(n)) {
        throw new DataError(`${where()}: expected a number, found ${excerpt(String(v))}`);
      }
      if (kind === "int" && !Number.isInteger(n)) {
        throw new DataError(`${where()}: expected a whole number, found ${n}`);
      }
      return n;
    }
    case "datetime": {
      if (v instanceof Date) return v.getTime();
      if (typeof v === "number") return excelSerialToEpochMs(v, date1904);
      if (typeof v === "string") {
        const s = v.trim();
        if (s === "") return null;
        const m = ISO_LIKE.exec(s);
        if (m) {
          const [y, mo, d, h, mi, se, ms] = m.slice(1).map((
            x,
          ) => (x === undefined ? 0 : Number(x)));
          return Date.UTC(y, mo - 1, d, h, mi, se, ms);
        }
      }
      throw new DataError(`${where()}: expected a date, found ${excerpt(String(v))}`);
    }
  }
}

/**
 * Converts a workbook sheet to a DataFrame shaped like the file's Parquet mirror: one column per
 * mapped canonical column, named with the file's source column name (`file.columns`) and typed
 * text → String, quantity → Int64, prices and customer id → Float64, timestamp → Datetime (µs,
 * naive wall-clock time). The first non-empty row is the header; its cells are matched to
 * canonical columns through {@link SHEET_HEADER_TO_CANONICAL} (or by equal to the configured
 * source name). Entirely empty rows are skipped.
 *
 * @param wb the opened workbook
 * @param sheet the sheet's name
 * @param file the file's configuration
 * @throws {DataError} when a mapped column is missing or a cell has the wrong type
 * @throws {XlsxError} when the sheet is malformed or missing
 */
export function sheetToDataFrame(wb: Workbook, sheet: string, file: FileConfig): pl.DataFrame {
  const wanted = Object.entries(file.columns) as [MappableColumn, string][];
  const cols = wanted.map(([key, name]) => ({
    key,
    name,
    kind: KIND[key],
    index: -1,
    values: [] as (string | number | null)[],
  }));
  let header: string[] | null = null;
  let headerRow = 0;
  wb.forEachRow(sheet, (rowIndex, cells) => {
    if (!cells.some((c) => c !== null && c !== "")) return;
    if (header === null) {
      header = cells.map((c) => (c === null ? "" : String(c).trim()));
      headerRow = rowIndex + 1;
      for (const col of cols) {
        let idx = header.indexOf(col.name);
        if (idx < 0) idx = header.findIndex((h) => SHEET_HEADER_TO_CANONICAL[h] === col.key);
        if (idx < 0) {
          const known = Object.entries(SHEET_HEADER_TO_CANONICAL).filter(([, k]) => k === col.key)
            .map(([h]) => `"${h}"`);
          const cells = header.filter((h) => h !== "");
          throw new DataError(
            `no column for ${col.key} (configured as ${excerpt(col.name)}; known headers: ` +
              `${known.join(", ") || "none"}); the header (row ${headerRow}) is: ` +
              cells.slice(0, 30).map((h) => excerpt(h)).join(", ") +
              (cells.length > 30 ? `, … (${cells.length} cells)` : ""),
          );
        }
        col.index = idx;
      }
      return;
    }
    for (const col of cols) {
      const v = col.index < cells.length ? cells[col.index] : null;
      col.values.push(
        convertCell(
          v,
          col.kind,
          wb.date1904,
          () => `row ${rowIndex + 1}, column ${excerpt(header![col.index])} (${col.key})`,
        ),
      );
    }
  });
  if (header === null) throw new DataError("the sheet is empty (no header row)");
  const series = cols.map((col) => {
    switch (col.kind) {
      case "text":
        return pl.Series(col.name, col.values, pl.Utf8);
      case "int":
        return pl.Series(col.name, col.values, pl.Int64);
      case "float":
        return pl.Series(col.name, col.values, pl.Float64);
      case "datetime":
        return pl.Series(col.name, col.values, pl.Float64).cast(pl.Int64).cast(pl.Datetime("ms"))
          .cast(
            pl.Datetime("us"),
          );
    }
  });
  return pl.DataFrame(series);
}
