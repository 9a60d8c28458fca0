/**
 * The canonical transaction schema and the cleaning reason codes.
 *
 * Every dataset, whatever its source columns, is mapped onto these columns before cleaning.
 *
 * @module
 */

/** Canonical transaction columns, in output order. */
export const CANONICAL_COLUMNS = [
  "invoice",
  "stock_code",
  "description",
  "quantity",
  "timestamp",
  "unit_price",
  "line_value",
  "customer_id",
  "country",
  "source_file",
  "source_row",
] as const;

/** A canonical transaction column. */
export type CanonicalColumn = typeof CANONICAL_COLUMNS[number];

/**
 * Column meanings, for documentation and the report.
 * `timestamp` is UTC; `line_value` is quantity × unit price in the dataset's currency;
 * `source_row` is the 1-based data row number in its source file.
 */
export const COLUMN_DOCS: Record<CanonicalColumn, string> = {
  invoice: "Invoice number (a synthetic customer|date key when the source has none)",
  stock_code: "Product code (null when the source has none)",
  description: "Product name (null when the source has none)",
  quantity: "Units on the line; negative on cancellations",
  timestamp: "When the invoice was made, converted to UTC",
  unit_price: "Price per unit in the dataset's currency",
  line_value: "quantity × unit_price",
  customer_id: "Customer number, as text",
  country: "Customer's country (null when the source has none)",
  source_file: "Name of the input file the row came from",
  source_row: "1-based data row number in that file",
};
