// Helpers of the report's tables: the CSV download of an arquero table, and small HTML tables
// for the report pages.
import { html } from "htl";

/**
 * A button that downloads a table (as it is at the time of the click) as a CSV file, written by
 * arquero's `toCSV`.
 *
 * @param {() => import("arquero").ColumnTable} getTable the current table
 * @param {{columns: string[], filename: string, label?: string}} options the columns, in order
 */
export function csvDownloadButton(getTable, { columns, filename, label = "Download CSV" }) {
  const button = html`<button type="button" class="download">${label}</button>`;
  button.onclick = () => {
    const csv = getTable().toCSV({ columns });
    const blob = new Blob([csv], { type: "text/csv;charset=utf-8" });
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
