// The Customers page: every customer with the recommended action, the model's outlook (band,
// score, probabilities, predicted level) and the reasons for the score, filtered by segment,
// band, predicted level and country, searched, sorted, and downloaded as a spreadsheet-safe CSV
// (`spreadsheetCsv`, bundled from src/report/download.ts) in the order shown.
//
// Filters live in the page address (`?segment=At%20risk&band=A,B`), so the Overview links open
// exactly one group and any view can be shared. Each filter's counts are those of the customers
// the search and the *other* filters leave, so a count is what choosing it would show.
import { html } from "htl";
import { virtualTable } from "./datatable.js";
import { fmtInt, fmtMoney, fmtPct } from "./format.js";
import { bandColors, inkOn } from "./palette.js";
import { dayIso, horizonPhrase, isoDay, spreadsheetCsv } from "./generated/workspace.js";

/** An element with properties and children (text or nodes). */
function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

const escape = (v) =>
  String(v).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );

/**
 * The customer table from the loader's columns: typed arrays and derived columns.
 *
 * @param {{rows: number, columns: Record<string, ArrayLike<any>>}} data from `readArrow`
 * @param {{analysisDate: string, segmentRules: {name: string, action: string}[]}} rfm
 * @param {string[] | null} levels the loyalty levels, lowest first
 */
export function customerTable(data, rfm, levels) {
  const C = data.columns;
  const n = data.rows;
  const text = (k) => (C[k] ? Array.from(C[k], (v) => (v == null ? null : String(v))) : null);
  const num = (k, scale = 1) => (C[k] ? Float64Array.from(C[k], (v) => Number(v) / scale) : null);
  const actions = new Map(rfm.segmentRules.map((r) => [r.name, r.action]));
  const segment = text("rfm_segment");
  const monetary = num("monetary_cents", 100);
  const frequency = num("frequency");
  const probs = (levels ?? []).filter((l) => C[`p_${l}_e4`]).map((l) => ({
    level: l,
    p: num(`p_${l}_e4`, 10000),
  })).reverse(); // top level first
  return {
    n,
    id: text("customer_id"),
    segment,
    action: segment.map((s) => actions.get(s) ?? ""),
    band: text("band"),
    score: num("score"),
    level: text("loyalty_level"),
    probs,
    reasons: text("reasons"),
    monetary,
    frequency,
    aov: monetary && frequency ? monetary.map((m, i) => m / frequency[i]) : null,
    recency: num("recency_days"),
    tenure: num("tenure_days"),
    r: num("r_score"),
    f: num("f_score"),
    m: num("m_score"),
    country: text("country"),
    analysisDay: isoDay(rfm.analysisDate),
  };
}

/** The filters a table offers, with their values in display order. */
function filtersOf(t, { segmentOrder, bands, levels, horizon }) {
  const present = (arr) => new Set(arr);
  const out = [];
  const segs = present(t.segment);
  out.push({
    key: "segment",
    label: "Segment",
    get: (r) => t.segment[r],
    values: [
      ...segmentOrder.filter((s) => segs.has(s)),
      ...[...segs].filter((s) => !segmentOrder.includes(s)).sort(),
    ],
  });
  if (t.band) {
    const b = present(t.band);
    out.push({
      key: "band",
      label: "Score band",
      get: (r) => t.band[r],
      values: [
        ...(bands ?? []).filter((x) => b.has(x)),
        ...[...b].filter((x) => !(bands ?? []).includes(x)).sort(),
      ],
    });
  }
  if (t.level) {
    const l = present(t.level);
    const order = [...(levels ?? [])].reverse();
    out.push({
      key: "level",
      label: horizon ? `Predicted over ${horizon}` : "Predicted level",
      get: (r) => t.level[r],
      values: [
        ...order.filter((x) => l.has(x)),
        ...[...l].filter((x) => !order.includes(x)).sort(),
      ],
    });
  }
  if (t.country && new Set(t.country).size > 1) {
    const counts = new Map();
    for (const c of t.country) counts.set(c, (counts.get(c) ?? 0) + 1);
    out.push({
      key: "country",
      label: "Country",
      get: (r) => t.country[r],
      values: [...counts.keys()].filter((c) => c != null).sort((a, b) =>
        counts.get(b) - counts.get(a) || (a < b ? -1 : 1)
      ),
    });
  }
  return out.filter((f) => f.values.length > 0);
}

/** The table's columns: the decision first, the figures behind it after. */
function columnsOf(t, currency) {
  const money = (
    v,
  ) => (v == null || !Number.isFinite(v)
    ? "–"
    : v.toLocaleString("en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  const int = (a) => (r) => fmtInt(a[r]);
  const date = (a) => (r) => dayIso(t.analysisDay - a[r]);
  const colors = t.band ? bandColors(new Set(t.band).size) : [];
  const cols = [
    {
      key: "customer_id",
      label: "Customer",
      width: 92,
      text: (r) => t.id[r],
      csv: "customer_id",
      value: (r) => t.id[r],
      id: true,
    },
  ];
  if (t.band) {
    cols.push({
      key: "band",
      label: "Band",
      width: 62,
      align: "center",
      text: (r) => t.band[r] ?? "",
      badge: (r) => {
        const b = t.band[r];
        if (b == null) return null;
        const c = colors[t.bandOrder?.indexOf(b) ?? 0] ?? "#999";
        return { text: b, background: c, color: inkOn(c) };
      },
      csv: "band",
    });
  }
  if (t.score) {
    cols.push({
      key: "score",
      label: "Score",
      width: 64,
      align: "right",
      text: int(t.score),
      csv: "score",
      value: (r) => t.score[r],
    });
  }
  cols.push(
    { key: "segment", label: "Segment", width: 150, text: (r) => t.segment[r], csv: "rfm_segment" },
    {
      key: "action",
      label: "Recommended action",
      width: 300,
      text: (r) => t.action[r],
      title: true,
      csv: "recommended_action",
    },
  );
  for (const { level, p } of t.probs) {
    cols.push({
      key: `p_${level}`,
      label: `P(${level})`,
      width: 100,
      align: "right",
      text: (r) => fmtPct(p[r], 0),
      csv: `p_${level}`,
      value: (r) => p[r],
    });
  }
  if (t.level) {
    cols.push({
      key: "level",
      label: "Predicted",
      width: 100,
      text: (r) => t.level[r] ?? "",
      csv: "loyalty_level",
    });
  }
  if (t.reasons) {
    cols.push({
      key: "reasons",
      label: "Why this score",
      width: 380,
      text: (r) => t.reasons[r] ?? "",
      title: true,
      csv: "reasons",
    });
  }
  cols.push(
    {
      key: "monetary",
      label: `Net revenue (${currency})`,
      width: 132,
      align: "right",
      text: (r) => money(t.monetary[r]),
      csv: "monetary",
      value: (r) => t.monetary[r],
    },
    {
      key: "frequency",
      label: "Orders",
      width: 72,
      align: "right",
      text: int(t.frequency),
      csv: "frequency",
      value: (r) => t.frequency[r],
    },
    {
      key: "aov",
      label: "Average order",
      width: 112,
      align: "right",
      text: (r) => money(t.aov[r]),
      csv: "avg_order_value",
      value: (r) => Math.round(t.aov[r] * 100) / 100,
    },
    {
      key: "recency",
      label: "Days since last order",
      width: 160,
      align: "right",
      text: int(t.recency),
      csv: "recency_days",
      value: (r) => t.recency[r],
    },
  );
  if (t.tenure) {
    cols.push({
      key: "tenure",
      label: "Days since first order",
      width: 164,
      align: "right",
      text: int(t.tenure),
      csv: "tenure_days",
      value: (r) => t.tenure[r],
    });
  }
  if (t.r) {
    cols.push(
      {
        key: "r",
        label: "R",
        width: 40,
        align: "right",
        text: int(t.r),
        csv: "r_score",
        value: (r) => t.r[r],
      },
      {
        key: "f",
        label: "F",
        width: 40,
        align: "right",
        text: int(t.f),
        csv: "f_score",
        value: (r) => t.f[r],
      },
      {
        key: "m",
        label: "M",
        width: 40,
        align: "right",
        text: int(t.m),
        csv: "m_score",
        value: (r) => t.m[r],
      },
    );
  }
  if (t.country && new Set(t.country).size > 1) {
    cols.push({
      key: "country",
      label: "Country",
      width: 140,
      text: (r) => t.country[r] ?? "",
      csv: "country",
    });
  }
  cols.push(
    { key: "last", label: "Last order", width: 104, text: date(t.recency), csv: "last_purchase" },
  );
  if (t.tenure) {
    cols.push({
      key: "first",
      label: "First order",
      width: 104,
      text: date(t.tenure),
      csv: "first_purchase",
    });
  }
  // A header is never cut: each column at least as wide as its label.
  for (const c of cols) c.width = Math.max(c.width, Math.ceil(c.label.length * 7.4 + 26));
  return cols;
}

/**
 * The Customers page's controls, summary, table and download, wired together.
 *
 * @param {object} args
 * @param {ReturnType<typeof customerTable>} args.table
 * @param {object} args.rfm rfm.json
 * @param {object} args.decisions decisions.json (levels, bands, horizon)
 * @param {string} args.currency
 * @param {string} args.datasetId for the file name
 * @param {URLSearchParams} args.params the page address's query
 * @returns {HTMLElement}
 */
export function customersView({ table: t, rfm, decisions, currency, datasetId, params }) {
  const horizon = decisions.horizon ? horizonPhrase(decisions.horizon.days) : null;
  t.bandOrder = decisions.bands ?? [...new Set(t.band ?? [])].sort();
  const filters = filtersOf(t, {
    segmentOrder: rfm.segmentRules.map((r) => r.name),
    bands: decisions.bands,
    levels: decisions.levels,
    horizon,
  });
  const columns = columnsOf(t, currency);
  const totalRevenue = t.monetary.reduce((s, x) => s + x, 0);
  const lowest = decisions.lowest;

  // ----- state (from the address) -----
  const state = { q: params.get("q") ?? "", sets: {}, sort: { key: "monetary", descending: true } };
  for (const f of filters) {
    const v = params.get(f.key);
    if (v) {
      const wanted = v.split(",").filter((x) => f.values.includes(x));
      if (wanted.length) state.sets[f.key] = new Set(wanted);
    }
  }
  const sortParam = params.get("sort");
  if (sortParam && columns.some((c) => c.key === sortParam)) {
    state.sort = { key: sortParam, descending: params.get("dir") !== "asc" };
  }

  // ----- search -----
  const hay = Array.from(
    { length: t.n },
    (_, r) =>
      [t.id[r], t.segment[r], t.country?.[r] ?? "", t.reasons?.[r] ?? "", t.action[r]].join(
        "\u0001",
      )
        .toLowerCase(),
  );

  // ----- presets -----
  const winBack = rfm.segmentRules.filter((r) => r.r[1] <= 2 && r.fm[0] >= 3).map((r) => r.name);
  const topBands = (decisions.bands ?? []).slice(0, 2);
  const presets = [
    { label: "All customers", sets: {} },
    t.band && {
      label: `At risk, bands ${topBands.join("–")}`,
      sets: { segment: winBack, band: topBands },
    },
    { label: "Champions", sets: { segment: ["Champions"] } },
    { label: "New and promising", sets: { segment: ["New", "Promising"] } },
    t.level && lowest && { label: `Predicted to lapse`, sets: { level: [lowest] } },
    t.band && { label: `Best band (${topBands[0]})`, sets: { band: topBands.slice(0, 1) } },
  ].filter(Boolean).map((p) => ({
    ...p,
    sets: Object.fromEntries(
      Object.entries(p.sets).map((
        [k, v],
      ) => [k, v.filter((x) => filters.find((f) => f.key === k)?.values.includes(x))]),
    ),
  })).filter((p) => Object.values(p.sets).every((v) => v.length > 0));

  // ----- elements -----
  // Elements the view keeps are made with the DOM (htl wraps a template with surrounding
  // whitespace in a <span>, and the formatter may add that whitespace).
  const search = el("input", {
    type: "search",
    id: "customers-search",
    placeholder: "Id, segment, country…",
    value: state.q,
    autocomplete: "off",
  });
  const selects = filters.map((f) => {
    const s = el("select", { id: `filter-${f.key}` });
    const label = el("label", { htmlFor: s.id }, f.label, s);
    return { f, s, label };
  });
  const presetBox = el(
    "div",
    { className: "presets" },
    el("span", { className: "muted" }, "Quick picks:"),
  );
  presetBox.setAttribute("role", "group");
  presetBox.setAttribute("aria-label", "Common groups");
  const presetButtons = presets.map((p) => {
    const b = Object.assign(document.createElement("button"), {
      type: "button",
      className: "preset",
      textContent: p.label,
    });
    b.onclick = () => {
      state.sets = Object.fromEntries(Object.entries(p.sets).map(([k, v]) => [k, new Set(v)]));
      state.q = "";
      search.value = "";
      refresh();
    };
    presetBox.append(b);
    return { p, b };
  });
  const summary = Object.assign(document.createElement("p"), { className: "vt-summary" });
  summary.setAttribute("aria-live", "polite");
  const actionNote = Object.assign(document.createElement("p"), {
    className: "sw-action",
    hidden: true,
  });
  const download = Object.assign(document.createElement("button"), {
    type: "button",
    className: "download",
  });
  const grid = virtualTable({
    columns,
    label: "Customers",
    sort: state.sort,
    onSort: (key) => {
      state.sort = state.sort.key === key ? { key, descending: !state.sort.descending } : {
        key,
        descending: !["customer_id", "segment", "action", "country", "reasons", "level"].includes(
          key,
        ),
      };
      refresh();
    },
  });

  // ----- sorting -----
  const rank = (values, order) => {
    const at = new Map(order.map((v, i) => [v, i]));
    return Float64Array.from(values, (v) => at.get(v) ?? order.length);
  };
  const sortKeys = {
    customer_id: { str: t.id },
    segment: { num: rank(t.segment, filters[0].values) },
    action: { num: rank(t.segment, filters[0].values) },
    band: t.band && { num: rank(t.band, t.bandOrder) },
    score: t.score && { num: t.score },
    level: t.level && { num: rank(t.level, [...(decisions.levels ?? [])]) },
    reasons: t.reasons && { str: t.reasons },
    monetary: { num: t.monetary },
    frequency: { num: t.frequency },
    aov: { num: t.aov },
    recency: { num: t.recency },
    last: { num: t.recency.map((x) => -x) },
    tenure: t.tenure && { num: t.tenure },
    first: t.tenure && { num: t.tenure.map((x) => -x) },
    r: t.r && { num: t.r },
    f: t.f && { num: t.f },
    m: t.m && { num: t.m },
    country: t.country && { str: t.country },
    ...Object.fromEntries(t.probs.map(({ level, p }) => [`p_${level}`, { num: p }])),
  };
  const sorted = (rows) => {
    const k = sortKeys[state.sort.key] ?? sortKeys.monetary;
    const sign = state.sort.descending ? -1 : 1;
    if (k.num) {
      const a = k.num;
      rows.sort((x, y) => sign * (a[x] - a[y]) || x - y);
    } else {
      const a = k.str;
      rows.sort((x, y) => {
        const u = a[x] ?? "", v = a[y] ?? "";
        return sign * (u < v ? -1 : u > v ? 1 : 0) || x - y;
      });
    }
    return rows;
  };

  /** The order shown, in words: "net revenue, highest first" (the column may be off-screen). */
  const sortLabel = () => {
    const c = columns.find((x) => x.key === state.sort.key) ??
      columns.find((x) => x.key === "monetary");
    const numeric = sortKeys[c.key]?.num && !["segment", "action", "band", "level"].includes(c.key);
    const way = numeric
      ? (state.sort.descending ? "highest first" : "lowest first")
      : (state.sort.descending ? "last to first" : "first to last");
    return `${c.label.charAt(0).toLowerCase()}${c.label.slice(1)}, ${way}`;
  };

  let shown = new Int32Array(0);

  /** Filters, counts, sorts and redraws everything from the state. */
  function refresh() {
    const q = state.q.trim().toLowerCase();
    const active = filters.map((f) => state.sets[f.key] ?? null);
    const counts = filters.map(() => new Map());
    const rows = [];
    for (let r = 0; r < t.n; r++) {
      if (q && !hay[r].includes(q)) continue;
      let failed = -1;
      let fails = 0;
      for (let i = 0; i < filters.length; i++) {
        const set = active[i];
        if (set && !set.has(filters[i].get(r))) {
          fails++;
          failed = i;
          if (fails > 1) break;
        }
      }
      if (fails === 0) {
        rows.push(r);
        for (let i = 0; i < filters.length; i++) {
          const v = filters[i].get(r);
          counts[i].set(v, (counts[i].get(v) ?? 0) + 1);
        }
      } else if (fails === 1) {
        const v = filters[failed].get(r);
        counts[failed].set(v, (counts[failed].get(v) ?? 0) + 1);
      }
    }
    shown = Int32Array.from(sorted(rows));
    // Selects: each value with the customers it would show.
    selects.forEach(({ f, s }, i) => {
      const set = active[i];
      const all = [...counts[i].values()].reduce((a, b) => a + b, 0);
      const opts = [`<option value="">All (${fmtInt(all)})</option>`];
      if (set && set.size > 1) {
        const n = [...set].reduce((a, v) => a + (counts[i].get(v) ?? 0), 0);
        opts.push(
          `<option value="${escape([...set].join(","))}" selected>${escape([...set].join(", "))} (${
            fmtInt(n)
          })</option>`,
        );
      }
      for (const v of f.values) {
        const sel = set && set.size === 1 && set.has(v) ? " selected" : "";
        opts.push(
          `<option value="${escape(v)}"${sel}>${escape(v)} (${
            fmtInt(counts[i].get(v) ?? 0)
          })</option>`,
        );
      }
      s.innerHTML = opts.join("");
    });
    // Presets: pressed when the state is exactly theirs.
    for (const { p, b } of presetButtons) {
      const same = !state.q && filters.every((f) => {
        const want = p.sets[f.key];
        const have = state.sets[f.key];
        return (!want && !have) ||
          (want && have && want.length === have.size && want.every((v) => have.has(v)));
      });
      b.setAttribute("aria-pressed", same ? "true" : "false");
    }
    // Summary.
    let revenue = 0;
    let lapse = 0;
    for (const r of shown) {
      revenue += t.monetary[r];
      if (t.level && t.level[r] === lowest) lapse++;
    }
    summary.dataset.rows = String(shown.length);
    summary.innerHTML = `Showing <b>${fmtInt(shown.length)}</b> of ${fmtInt(t.n)} customers (${
      fmtPct(shown.length / t.n)
    }), with ${escape(fmtMoney(revenue, currency))} of net revenue (${
      fmtPct(revenue / totalRevenue)
    })${
      t.level && lowest && horizon
        ? `; ${fmtInt(lapse)} predicted to lapse over ${escape(horizon)}`
        : ""
    }; sorted by ${escape(sortLabel())}.`;
    download.textContent = `Download these ${fmtInt(shown.length)} customers (CSV)`;
    download.disabled = shown.length === 0;
    const one = state.sets.segment?.size === 1 ? [...state.sets.segment][0] : null;
    const rule = one ? rfm.segmentRules.find((r) => r.name === one) : null;
    actionNote.hidden = !rule;
    actionNote.innerHTML = rule
      ? `<b>Recommended action for ${escape(rule.name)}:</b> ${
        escape(rule.action)
      }. <span class="muted">(${escape(rule.description)}.)</span>`
      : "";
    grid.setSort(state.sort);
    grid.show(shown);
    // The address: this exact view, to share or come back to.
    const p = new URLSearchParams();
    for (const f of filters) if (state.sets[f.key]) p.set(f.key, [...state.sets[f.key]].join(","));
    if (state.q) p.set("q", state.q);
    if (state.sort.key !== "monetary" || !state.sort.descending) {
      p.set("sort", state.sort.key);
      p.set("dir", state.sort.descending ? "desc" : "asc");
    }
    const query = p.toString();
    history.replaceState(
      history.state,
      "",
      `${location.pathname}${query ? `?${query}` : ""}${location.hash}`,
    );
  }

  search.addEventListener("input", () => {
    state.q = search.value;
    refresh();
  });
  for (const { f, s } of selects) {
    s.addEventListener("change", () => {
      if (s.value === "") delete state.sets[f.key];
      else state.sets[f.key] = new Set(s.value.split(","));
      refresh();
    });
  }
  download.addEventListener("click", () => {
    const csv = spreadsheetCsv(
      columns.map((c) => ({ name: c.csv, value: c.value ?? c.text, id: c.id })),
      shown,
    );
    const parts = [
      "customers",
      datasetId,
      ...filters.filter((f) => state.sets[f.key]).map((f) => [...state.sets[f.key]].join("-")),
    ];
    const name = parts.join("-").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/-+$/, "") +
      ".csv";
    const url = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });

  refresh();
  return html`<div class="customers-view">
    ${presetBox}
    <div class="filters" role="search" aria-label="Filter the customers">
      <label for="customers-search">Search${search}</label>
      ${selects.map((x) => x.label)}
    </div>
    ${summary}
    <p>${download} <span class="muted">The file holds the rows shown, in this order, with every column and the probabilities; ids stay text in a spreadsheet.</span></p>
    ${actionNote}
    ${grid.element}
    <p class="muted">Sort by a column with its header button; scroll sideways for more columns (the customer id stays in view).</p>
  </div>`;
}
