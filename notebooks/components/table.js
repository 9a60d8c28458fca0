// Helpers of the customer table: decoding the loader's column-wise JSON, CSV export, and small
// HTML tables for the report pages.
import { csvFormat } from "d3-dsv";
import { html } from "htl";

const DAY_MS = 86_400_000;

/**
 * Rows (objects) from the column-wise JSON of data/customers.json: numbers as is, categories
 * from their dictionary, dates (day numbers) back to ISO dates "YYYY-MM-DD".
 *
 * @param {{rows: number, order: string[], columns: Record<string, any>}} table
 * @returns {Record<string, string | number | null>[]}
 */
export function decodeColumns(table) {
  const cols = table.order.map((name) => {
    const c = table.columns[name];
    switch (c.type) {
      case "category":
        return [name, (i) => c.dict[c.codes[i]] || null];
      case "date":
        return [
          name,
          (
            i,
          ) => (c.days[i] == null ? null : new Date(c.days[i] * DAY_MS).toISOString().slice(0, 10)),
        ];
      default:
        return [name, (i) => c.values[i]];
    }
  });
  const rows = new Array(table.rows);
  for (let i = 0; i < table.rows; i++) {
    const row = {};
    for (const [name, get] of cols) row[name] = get(i);
    rows[i] = row;
  }
  return rows;
}

/** CSV text of the rows, with the given columns in order. */
export function toCsv(rows, columns) {
  return csvFormat(rows, columns);
}

/**
 * A button that downloads the rows (at the time of the click) as a CSV file.
 *
 * @param {() => object[]} getRows current rows
 * @param {{columns: string[], filename: string, label?: string}} options
 */
export function csvDownloadButton(getRows, { columns, filename, label = "Download CSV" }) {
  const button = html`<button type="button" class="download">${label}</button>`;
  button.onclick = () => {
    const blob = new Blob([toCsv(getRows(), columns)], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return button;
}

/**
 * A plain HTML table.
 *
 * @param {object[]} rows
 * @param {{key: string, label: string, format?: (v: any, row: object) => any, align?: "left" | "right", minWidth?: string}[]} columns
 *   `minWidth` (for example "14em") keeps a text column readable on a phone: the table scrolls
 *   sideways instead of squeezing it
 * @param {{caption?: string, className?: string}} options
 */
export function htmlTable(rows, columns, { caption, className = "" } = {}) {
  return html`
    <div class="table-scroll">
      <table class=${className}>
        ${caption ? html`<caption>${caption}</caption>` : null}
        <thead><tr>${columns.map((c) =>
          html`<th style=${{ textAlign: c.align ?? "left" }}>${c.label}</th>`
        )}</tr></thead>
        <tbody>${rows.map((r) =>
          html`<tr class=${r._class ?? ""}>${
            columns.map((c) =>
              html`<td style=${{
                textAlign: c.align ?? "left",
                ...(c.minWidth ? { minWidth: c.minWidth } : {}),
              }}>${c.format ? c.format(r[c.key], r) : r[c.key]}</td>`
            )
          }</tr>`
        )}</tbody>
      </table>
    </div>
  `;
}
