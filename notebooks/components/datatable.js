// A large table that stays fast: only the rows in view are in the page (a virtualised table),
// so tens of thousands of rows scroll smoothly and the last row is as reachable as the first.
// Rows are absolutely positioned blocks of fixed height (a change of rows never re-lays out the
// others, as an HTML <table> would), reused as the view moves, and only the columns in view hold
// text. The header stays on top and the first column on the left while scrolling (the key
// column stays visible on a phone); the header's sort buttons work with a keyboard; the scroll
// box is a named region a keyboard can focus and scroll; ARIA table roles give screen readers
// the rows and columns.

/**
 * A virtualised, sortable table over rows given by index.
 *
 * @param {object} options
 * @param {{key: string, label: string, width: number, align?: "left" | "right" | "center", text: (row: number) => string, badge?: (row: number) => {text: string, background: string, color: string} | null, sortable?: boolean, title?: boolean}[]} options.columns
 *   `text` gives a cell's text; `badge`, when given, draws it as a coloured badge instead; with
 *   `title` the full text is also the cell's tooltip (for long, truncated text)
 * @param {string} options.label the table's accessible name
 * @param {{key: string, descending: boolean}} [options.sort] the initial sort (shown in the header)
 * @param {(key: string) => void} [options.onSort] called when a sort button is pressed
 * @param {number} [options.rowHeight] row height in px (default 28)
 * @returns {{element: HTMLElement, show: (order: ArrayLike<number>) => void, setSort: (s: {key: string, descending: boolean}) => void}}
 */
export function virtualTable({ columns, label, sort, onSort, rowHeight = 28 }) {
  const el = (tag, className, props = {}) =>
    Object.assign(document.createElement(tag), { className, ...props });
  const width = columns.reduce((s, c) => s + c.width, 0);
  const scroll = el("div", "vt-scroll", { tabIndex: 0 });
  scroll.setAttribute("role", "region");
  scroll.setAttribute("aria-label", `${label} (scrolls; use the arrow keys)`);
  const table = el("div", "vt-table");
  table.setAttribute("role", "table");
  table.setAttribute("aria-label", label);
  table.style.width = `${width}px`;
  const head = el("div", "vt-head");
  head.setAttribute("role", "row");
  head.setAttribute("aria-rowindex", "1");
  const headGroup = el("div", "vt-headgroup");
  headGroup.setAttribute("role", "rowgroup");
  headGroup.append(head);
  const body = el("div", "vt-body");
  body.setAttribute("role", "rowgroup");
  table.append(headGroup, body);
  scroll.append(table);

  const place = (cell, c, i) => {
    cell.style.width = `${c.width}px`;
    cell.style.textAlign = c.align ?? "left";
    if (i === 0) cell.classList.add("pin");
  };
  columns.forEach((c, i) => {
    const th = el("div", "vt-hcell");
    th.setAttribute("role", "columnheader");
    th.dataset.key = c.key;
    place(th, c, i);
    if (c.sortable === false) th.textContent = c.label;
    else {
      const b = el("button", "", {
        type: "button",
        textContent: c.label,
        title: `Sort by ${c.label}`,
      });
      b.dataset.key = c.key;
      th.append(b);
    }
    head.append(th);
  });
  const setSort = (s) => {
    for (const th of head.children) {
      if (s && th.dataset.key === s.key) {
        th.setAttribute("aria-sort", s.descending ? "descending" : "ascending");
      } else th.removeAttribute("aria-sort");
    }
  };
  setSort(sort);
  head.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-key]");
    if (b) onSort?.(b.dataset.key);
  });

  // Only the columns in view (and the pinned first one) hold text.
  const left = [];
  columns.reduce((x, c, i) => ((left[i] = x), x + c.width), 0);
  const visibleColumns = () => {
    const x0 = scroll.scrollLeft + columns[0].width;
    const x1 = scroll.scrollLeft + (scroll.clientWidth || 1280);
    let a = 1;
    while (a < columns.length && left[a] + columns[a].width <= x0) a++;
    let b = a;
    while (b < columns.length && left[b] < x1) b++;
    return [Math.max(1, a - 1), Math.min(columns.length, b + 1)];
  };
  let cols = [0, columns.length];

  const empty = el("div", "vt-empty", { textContent: "No customer matches." });
  const pool = [];
  const shown = new Map(); // position in the order → row element
  let order = new Int32Array(0);
  let drawn = "";

  /** A row element with one cell per column (a badge span in badge columns). */
  function makeRow() {
    const row = el("div", "vt-row");
    row.setAttribute("role", "row");
    row.style.height = `${rowHeight}px`;
    row.style.width = `${width}px`;
    columns.forEach((c, i) => {
      const cell = el("div", "vt-cell");
      cell.setAttribute("role", i === 0 ? "rowheader" : "cell");
      place(cell, c, i);
      if (c.badge) cell.append(el("span", "vt-band"));
      row.append(cell);
    });
    return row;
  }

  /** Fills a row element with row `r` of the data, at position `k` of the order. */
  function fill(row, r, k) {
    row.setAttribute("aria-rowindex", String(k + 2));
    row.style.transform = `translateY(${k * rowHeight}px)`;
    const cells = row.children;
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i];
      const cell = cells[i];
      const off = i > 0 && (i < cols[0] || i >= cols[1]);
      if (c.badge) {
        const b = off ? null : c.badge(r);
        const span = cell.firstChild;
        span.textContent = b?.text ?? "";
        span.style.background = b?.background ?? "transparent";
        span.style.color = b?.color ?? "inherit";
      } else {
        const text = off ? "" : c.text(r);
        cell.textContent = text;
        if (c.title) cell.title = text;
      }
    }
  }

  /** Draws the rows in view (and a few either side). */
  function draw(force = false) {
    const n = order.length;
    const view = scroll.clientHeight || 600;
    const buffer = 4;
    const first = Math.max(0, Math.floor(scroll.scrollTop / rowHeight) - buffer);
    const last = Math.min(n, Math.ceil((scroll.scrollTop + view) / rowHeight) + buffer);
    const now = visibleColumns();
    if (now[0] !== cols[0] || now[1] !== cols[1]) {
      cols = now;
      force = true;
    }
    const key = `${first}:${last}:${n}`;
    if (key === drawn && !force) return;
    drawn = key;
    // Rows that leave the range are taken out, new ones put in; the others are not touched (a
    // row's place on screen is its transform, so the order of the elements does not matter).
    for (const [k, row] of shown) {
      if (force || k < first || k >= last) {
        shown.delete(k);
        pool.push(row);
        row.remove();
      }
    }
    const added = [];
    for (let k = first; k < last; k++) {
      if (shown.has(k)) continue;
      const row = pool.pop() ?? makeRow();
      fill(row, order[k], k);
      shown.set(k, row);
      added.push(row);
    }
    body.style.height = `${Math.max(n, 1) * rowHeight}px`;
    if (n === 0) body.replaceChildren(empty);
    else {
      empty.remove();
      body.append(...added);
    }
  }

  let frame = 0;
  scroll.addEventListener("scroll", () => {
    if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        draw();
      });
    }
  }, { passive: true });
  new ResizeObserver(() => draw()).observe(scroll);

  return {
    element: scroll,
    /** Shows these rows, in this order, from the top. */
    show(rows) {
      order = rows;
      table.setAttribute("aria-rowcount", String(rows.length + 1));
      scroll.scrollTop = 0;
      draw(true);
    },
    setSort,
  };
}
