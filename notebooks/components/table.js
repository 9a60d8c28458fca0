// Small HTML tables for the report pages (the Customers page's large table is datatable.js).
import { html } from "htl";

/**
 * A plain HTML table in a box that scrolls sideways when the table is wider than the page; the
 * box is a named region a keyboard can reach (and scroll), as a scrolling region must be.
 *
 * @param {object[]} rows
 * @param {{key: string, label: string, format?: (v: any, row: object) => any, align?: "left" | "right", minWidth?: string, nowrap?: boolean}[]} columns
 *   `minWidth` (for example "14em") keeps a text column readable on a phone: the table scrolls
 *   sideways instead of squeezing it
 * @param {{caption?: string, className?: string, stack?: boolean}} options
 *   `stack`: on a narrow screen each row becomes a block of "label: value" lines instead of a
 *   table row, so that no column is out of sight
 */
export function htmlTable(rows, columns, { caption, className = "", stack = false } = {}) {
  return html`
    <div class="table-scroll" tabindex="0" role="region" aria-label=${caption ?? "Table"}>
      <table class=${`${className}${stack ? " stack" : ""}`}>
        ${caption ? html`<caption>${caption}</caption>` : null}
        <thead><tr>${columns.map((c) =>
          html`<th scope="col" style=${{ textAlign: c.align ?? "left" }}>${c.label}</th>`
        )}</tr></thead>
        <tbody>${rows.map((r) =>
          html`<tr class=${r._class ?? ""}>${
            columns.map((c) =>
              html`<td data-label=${typeof c.label === "string" ? c.label : ""} style=${{
                textAlign: c.align ?? "left",
                ...(c.minWidth ? { minWidth: c.minWidth } : {}),
                ...(c.nowrap ? { whiteSpace: "nowrap" } : {}),
              }}>${c.format ? c.format(r[c.key], r) : r[c.key]}</td>`
            )
          }</tr>`
        )}</tbody>
      </table>
    </div>
  `;
}

/**
 * A link to the Customers page showing exactly one group: `filters` become the page's query
 * (`segment`, `band`, `level`, …; a list of values joined by commas).
 *
 * @param {Record<string, string | string[]>} filters
 */
export function customersHref(filters) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) {
    if (v == null || (Array.isArray(v) && !v.length)) continue;
    q.set(k, Array.isArray(v) ? v.join(",") : v);
  }
  return `./customers?${q.toString()}`;
}
