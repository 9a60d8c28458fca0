// The "score a customer" widget and its charts. The widget runs the pipeline's own scoring code
// (`scoreCustomer` from src/score.ts, bundled into components/generated/score.js and passed in by
// the page) on the model the build wrote (reports/model.json, through a data loader).
//
// It updates itself synchronously on every input event (no round trip through the notebook's
// reactive runtime), and records how long scoring and drawing took in `data-latency-ms` on its
// root element; `data-result` holds the last result (level, probabilities, score, band, neighbour
// ids, or the field errors) for the browser test.
import * as Plot from "@observablehq/plot";
import { html as htl } from "htl";
import { chartWidth, fmtInt, fmtLogTick, fmtNum, fmtPct } from "./format.js";
import { bandColors, levelColors } from "./palette.js";
import {
  fromModelScale,
  messagesByField,
  niceRawTicks,
  outOfRange,
  toModelScale,
} from "./generated/workspace.js";

/**
 * htl's `html`, returning the element itself when the template holds one element surrounded by
 * whitespace. (htl wraps several top-level nodes, whitespace included, in a <span>; `deno fmt`
 * may re-indent a one-element template onto several lines, and the widget keeps references to
 * its elements, so it must get the element, not the wrapper.)
 */
function html(strings, ...values) {
  const node = htl(strings, ...values);
  if (node?.nodeType === 1 && node.tagName === "SPAN" && node.attributes.length === 0) {
    const kids = [...node.childNodes];
    const elements = kids.filter((n) => n.nodeType === 1);
    const whitespace = kids.filter((n) => n.nodeType === 3 && n.textContent.trim() === "");
    if (
      elements.length === 1 && whitespace.length > 0 &&
      elements.length + whitespace.length === kids.length
    ) {
      return elements[0];
    }
  }
  return node;
}

/** How each known feature is labelled; others are shown by name. */
export function featureInfo(feature, currency) {
  const known = {
    recency_days: {
      label: "Recency",
      unit: "days since the last purchase",
      short: "Recency (days)",
    },
    frequency: { label: "Frequency", unit: "invoices", short: "Invoices" },
    monetary: { label: "Net revenue", unit: currency ?? "", short: `Net revenue (${currency})` },
    tenure_days: { label: "Tenure", unit: "days since the first purchase", short: "Tenure (days)" },
    avg_order_value: {
      label: "Average order value",
      unit: currency ?? "",
      short: `Avg order (${currency})`,
    },
  };
  return known[feature] ?? { label: feature, unit: "", short: feature };
}

/**
 * Probability of each level as horizontal bars, the predicted level's label in bold.
 *
 * @param {Record<string, number>} probabilities by level name
 * @param {string[]} levels level names, lowest first
 * @param {{predicted?: string, width?: number}} options
 */
export function probabilityChart(probabilities, levels, { predicted, width = 320 } = {}) {
  width = chartWidth(width);
  const data = levels.map((level) => ({ level, p: probabilities[level] ?? 0 }));
  return Plot.plot({
    width,
    height: levels.length * 30 + 36,
    marginLeft: 84,
    marginRight: 44,
    marginTop: 4,
    x: {
      domain: [0, 1],
      tickFormat: (x) => `${Math.round(x * 100)}`,
      label: "Probability (%) →",
      ticks: 5,
      grid: true,
    },
    y: {
      domain: levels,
      label: null,
      tickSize: 0,
      tickFormat: (l) => (l === predicted ? `▶ ${l}` : l),
    },
    color: { domain: levels, range: levelColors(levels.length) },
    marks: [
      Plot.barX(data, { x: "p", y: "level", fill: "level" }),
      Plot.text(data, {
        x: "p",
        y: "level",
        text: (d) => fmtPct(d.p, 0),
        textAnchor: "start",
        dx: 4,
        fill: "currentColor",
        fontWeight: (d) => (d.level === predicted ? "bold" : "normal"),
      }),
      Plot.ruleX([0]),
    ],
  });
}

/**
 * The score scale with its bands (best band on the right) and a marker at the score.
 *
 * @param {number} score
 * @param {{min: number, max: number, bands: {name: string, minScore: number, maxScore: number}[]}} scale
 * @param {{width?: number}} options
 */
export function scoreScaleChart(score, scale, { width = 320 } = {}) {
  width = chartWidth(width);
  const colors = bandColors(scale.bands.length);
  const bands = scale.bands.map((b, i) => ({ ...b, color: colors[i] }));
  return Plot.plot({
    width,
    height: 78,
    marginLeft: 12,
    marginRight: 12,
    marginTop: 24,
    marginBottom: 26,
    x: {
      domain: [scale.min, scale.max],
      label: null,
      ticks: [
        scale.min,
        ...scale.bands.map((b) => b.minScore).filter((x) => x > scale.min),
        scale.max,
      ]
        .sort((a, b) => a - b),
      tickFormat: (x) => fmtInt(x),
    },
    y: { axis: null, domain: [0, 1] },
    marks: [
      Plot.rect(bands, {
        x1: "minScore",
        x2: "maxScore",
        y1: 0,
        y2: 1,
        fill: "color",
        stroke: "white",
        title: (d) => `band ${d.name}: ${fmtInt(d.minScore)}–${fmtInt(d.maxScore)}`,
      }),
      Plot.text(bands, {
        x: (d) => (d.minScore + d.maxScore) / 2,
        y: 0.5,
        text: "name",
        fill: (_, i) => (i === 0 || i === bands.length - 1 ? "white" : "black"),
        fontWeight: "bold",
      }),
      Plot.ruleX([score], { stroke: "black", strokeWidth: 3, y1: -0.15, y2: 1.15 }),
      Plot.text([score], {
        x: (d) => d,
        frameAnchor: "top",
        dy: -14,
        text: (d) => `score ${fmtInt(d)}`,
        fontWeight: "bold",
        textAnchor: "middle",
      }),
    ],
  });
}

/** Shared scales of the neighbour chart's two layers (both must match exactly). */
function neighbourScales(model, xf, yf, { width, height, currency }) {
  const jx = model.features.indexOf(xf);
  const jy = model.features.indexOf(yf);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const p of model.knn.points) {
    if (p[jx] < x0) x0 = p[jx];
    if (p[jx] > x1) x1 = p[jx];
    if (p[jy] < y0) y0 = p[jy];
    if (p[jy] > y1) y1 = p[jy];
  }
  const pad = (a, b) => [a - (b - a) * 0.04, b + (b - a) * 0.04];
  const axis = (feature, [lo, hi], px) => {
    const raw = niceRawTicks(
      fromModelScale(model.scaler, feature, lo),
      fromModelScale(model.scaler, feature, hi),
    );
    const positions = [];
    const minGap = ((hi - lo) / px) * 34; // at least 34 px between tick labels
    for (const v of raw) {
      const z = toModelScale(model.scaler, feature, v);
      if (z < lo || z > hi) continue;
      if (positions.length && z - positions[positions.length - 1] < minGap) continue;
      positions.push(z);
    }
    const info = featureInfo(feature, currency);
    const log = model.scaler.log[model.scaler.names.indexOf(feature)];
    return {
      domain: [lo, hi],
      ticks: positions,
      tickFormat: (z) =>
        fmtLogTick(Math.round(fromModelScale(model.scaler, feature, z) * 100) / 100),
      label: `${info.label} (${info.unit}${log ? ", log scale" : ""})`,
    };
  };
  const margins = { marginLeft: 54, marginRight: 14, marginTop: 14, marginBottom: 42 };
  const x = axis(xf, pad(x0, x1), width - margins.marginLeft - margins.marginRight);
  const y = axis(yf, pad(y0, y1), height - margins.marginTop - margins.marginBottom);
  return {
    jx,
    jy,
    x: { ...x, label: `${x.label} →` },
    y: { ...y, label: `↑ ${y.label}` },
    margins,
  };
}

/**
 * The training customers as a light scatter in two of the model's features (on the model's
 * scale, ticks in raw units), coloured by the level they reached in the outcome window.
 *
 * @param {object} model the loyalty model (model.json)
 * @param {{x: string, y: string, width?: number, height?: number, currency?: string}} options
 */
export function neighbourBackground(
  model,
  { x: xf, y: yf, width = 640, height = 380, currency } = {},
) {
  width = chartWidth(width);
  const s = neighbourScales(model, xf, yf, { width, height, currency });
  const points = model.knn.points;
  const labels = model.knn.labels;
  const colors = levelColors(model.levels.length);
  return Plot.plot({
    width,
    height,
    ...s.margins,
    x: { ...s.x, grid: true },
    y: { ...s.y, grid: true },
    marks: [
      Plot.dot(points, {
        x: (p) => p[s.jx],
        y: (p) => p[s.jy],
        r: 1.8,
        fill: (_, i) => colors[labels[i]],
        fillOpacity: 0.35,
      }),
    ],
  });
}

/**
 * The query point and its nearest neighbours, drawn on the same scales as
 * {@link neighbourBackground} (same model, features, width and height) so that it can be laid
 * over it. Points beyond the axes are drawn on the edge.
 *
 * @param {object} model the loyalty model
 * @param {number[]} query the query on the model's scale (standardised)
 * @param {{index: number, level: string}[]} neighbours with the training row index
 * @param {{x: string, y: string, width?: number, height?: number, currency?: string}} options
 */
export function neighbourOverlay(
  model,
  query,
  neighbours,
  { x: xf, y: yf, width = 640, height = 380, currency } = {},
) {
  width = chartWidth(width);
  const s = neighbourScales(model, xf, yf, { width, height, currency });
  const colors = levelColors(model.levels.length);
  const nb = neighbours.map((n) => ({ ...n, p: model.knn.points[n.index] }));
  const q = { x: query[s.jx], y: query[s.jy] };
  return Plot.plot({
    width,
    height,
    ...s.margins,
    x: { domain: s.x.domain, axis: null, clamp: true },
    y: { domain: s.y.domain, axis: null, clamp: true },
    style: { background: "transparent", overflow: "visible" },
    marks: [
      Plot.link(nb, {
        x1: () => q.x,
        y1: () => q.y,
        x2: (d) => d.p[s.jx],
        y2: (d) => d.p[s.jy],
        stroke: "#444444",
        strokeOpacity: 0.35,
      }),
      Plot.dot(nb, {
        x: (d) => d.p[s.jx],
        y: (d) => d.p[s.jy],
        r: 5,
        fill: (d) => colors[model.levels.indexOf(d.level)],
        stroke: "black",
        strokeWidth: 1,
        title: (d) => `customer ${d.customer_id}: ${d.level}, distance ${fmtNum(d.distance, 2)}`,
      }),
      Plot.dot([q], {
        x: "x",
        y: "y",
        symbol: "star",
        r: 9,
        fill: "black",
        stroke: "white",
        strokeWidth: 1.5,
      }),
    ],
  });
}

const field = (name) => `sw-${name}`;

/**
 * The score widget.
 *
 * @param {object} args
 * @param {object} args.model the loyalty model (model.json)
 * @param {(model: object, input: object) => object} args.scoreCustomer the bundled src/score.ts function
 * @param {object[]} args.examples example customers (score-examples.json)
 * @param {() => Promise<object>} args.loadCustomers fetches score-customers.json (called on first use)
 * @param {string} args.currency the dataset's currency
 * @returns {HTMLElement}
 */
export function scoreWidget({ model, scoreCustomer, examples = [], loadCustomers, currency }) {
  const features = model.features;
  const levels = model.levels;
  const derivable = features.includes("avg_order_value") && features.includes("monetary") &&
    features.includes("frequency");
  const colors = levelColors(levels.length);
  const windowDays = Math.round(
    (Date.parse(model.windowEnd) - Date.parse(model.cutoff)) / 86400000,
  );
  const state = {
    exact: {}, // field → {text, value}: exact stored values behind rounded display text
    picked: null, // the customer the fields were filled from
    customers: null, // score-customers.json once loaded
    index: null, // id → row
    result: null,
    query: null,
    axes: {
      x: features.includes("recency_days") ? "recency_days" : features[0],
      y: features.includes("frequency") ? "frequency" : features[1],
    },
    widths: { full: 0, side: 0 },
  };

  const inputs = Object.fromEntries(features.map((f) => {
    const input = html`
      <input type="text" inputmode="decimal" autocomplete="off" spellcheck="false" name=${f}
        id=${field(f)} aria-describedby=${`${field(f)}-error`}>
    `;
    return [f, input];
  }));
  const errorsOf = Object.fromEntries(features.map((f) => [
    f,
    html`
      <div class="field-error" data-field=${f} id=${`${field(f)}-error`} role="alert"
        aria-live="polite"></div>
    `,
  ]));
  const derive = derivable
    ? html`
      <label
        class="sw-derive"><input type="checkbox" name="derive_aov" checked> = net revenue ÷ invoices</label>
    `
    : null;
  const deriveBox = derive?.querySelector("input");

  const fieldRows = features.map((f) => {
    const info = featureInfo(f, currency);
    return html`<div class="sw-field">
      <label for=${field(f)}>${info.label} <span class="muted">${
      info.unit ? `(${info.unit})` : ""
    }</span></label>
      ${inputs[f]}
      ${f === "avg_order_value" ? derive : null}
      ${errorsOf[f]}
    </div>`;
  });

  // Picking a customer.
  const search = html`
    <input type="search" name="customer" list="sw-customer-ids" placeholder="Type a customer id…"
      autocomplete="off" spellcheck="false">
  `;
  const datalist = html`<datalist id="sw-customer-ids"></datalist>`;
  const exampleSelect = html`<select name="example">
    <option value="">Examples: one customer per score band…</option>
    ${
    examples.map((e, i) =>
      html`<option value=${i}>Band ${e.band} example: customer ${e.customer_id}</option>`
    )
  }
  </select>`;
  const pickNote = html`<div class="sw-pick-note muted" aria-live="polite"></div>`;

  // Results.
  const headline = html`<div class="sw-headline" aria-live="polite"></div>`;
  const scaleBox = html`<div class="sw-chart"></div>`;
  const probBox = html`<div class="sw-chart"></div>`;
  const votes = html`<p class="sw-votes"></p>`;
  const warning = html`<div class="sw-warning" aria-live="polite"></div>`;
  const timing = html`<div class="sw-timing muted"></div>`;

  const axisSelect = (which) =>
    html`<select name=${`axis-${which}`}>${
      features.map((f) =>
        html`<option value=${f} selected=${state.axes[which] === f}>${
          featureInfo(f, currency).label
        }</option>`
      )
    }</select>`;
  const xSelect = axisSelect("x");
  const ySelect = axisSelect("y");
  const layers = html`<div class="sw-layers"></div>`;
  const legend = html`
    <div
      class="sw-legend">${levels.map((l, i) =>
        html`<span><i style=${{ background: colors[i] }}></i>${l}</span>`
      )}<span><b class="sw-star">★</b>this customer</span><span><i class="sw-ring"></i>nearest neighbours</span></div>
  `;
  const nbTable = html`<div class="table-scroll"></div>`;
  const nbSummary = html`<summary></summary>`;
  const details = html`<details>${nbSummary}${nbTable}</details>`;
  details.addEventListener("toggle", () => renderNeighbourTable(state.result));

  const root = html`
    <div class="score-widget" id="score-widget">
      <div class="sw-grid">
        <form class="sw-form" onsubmit=${(e) => e.preventDefault()}>
            <h3>Start from an existing customer</h3>
            <div class="sw-pick">${search}${datalist}${exampleSelect}</div>
            ${pickNote}
            <h3>… or enter the customer's figures</h3>
            ${fieldRows}
          </form>
        <div class="sw-result">
            <h3>Prediction for the next ${fmtInt(windowDays)} days</h3>
            ${headline}${scaleBox}${probBox}${votes}${warning}${timing}
          </div>
      </div>
      <div class="sw-neighbours">
          <h3>The ${fmtInt(model.knn.k)} nearest training customers</h3>
          <p class="muted sw-axes">Nearness is measured on all ${features
            .length} features; the chart shows two of them: <label>x ${xSelect}</label> <label>y ${ySelect}</label></p>
          ${legend}
          ${layers}
          ${details}
        </div>
    </div>
  `;

  // ----- helpers -----
  const money = (v) => (Math.round(v * 100) / 100).toFixed(2).replace(/\.00$/, "");
  const displayText = (f, v) => f === "monetary" || f === "avg_order_value" ? money(v) : String(v);

  function rawInput() {
    const raw = {};
    for (const f of features) {
      if (f === "avg_order_value" && deriveBox?.checked) continue; // derived by scoreCustomer
      const text = inputs[f].value;
      const ex = state.exact[f];
      raw[f] = ex && ex.text === text ? ex.value : text;
    }
    return raw;
  }

  function fill(customer, note) {
    state.exact = {};
    for (const f of features) {
      if (f === "avg_order_value") continue;
      const v = customer[f];
      if (v == null) continue;
      const text = displayText(f, v);
      inputs[f].value = text;
      state.exact[f] = { text, value: v };
    }
    if (features.includes("avg_order_value")) {
      if (deriveBox) deriveBox.checked = true;
      else if (customer.avg_order_value != null) {
        inputs.avg_order_value.value = displayText("avg_order_value", customer.avg_order_value);
        state.exact.avg_order_value = {
          text: inputs.avg_order_value.value,
          value: customer.avg_order_value,
        };
      }
    }
    state.picked = { ...customer, note };
    update();
  }

  function pickNoteText() {
    const c = state.picked;
    if (!c) return "";
    const edited = features.some((f) => {
      if (f === "avg_order_value") return false;
      const ex = state.exact[f];
      return ex && inputs[f].value !== ex.text;
    });
    const ctx = [c.rfm_segment, c.cluster, c.country].filter((x) => x).join(" · ");
    const table = c.score != null
      ? ` In the customer table: score ${fmtInt(c.score)}, band ${c.band ?? "?"}.`
      : "";
    return edited
      ? `Started from customer ${c.customer_id}; the figures have been edited.`
      : `Customer ${c.customer_id}${ctx ? ` — ${ctx}` : ""}: current figures.${table}`;
  }

  function syncDerived() {
    if (!deriveBox) return;
    const aov = inputs.avg_order_value;
    aov.disabled = deriveBox.checked;
    if (deriveBox.checked) {
      const m = Number(rawInput().monetary);
      const n = Number(rawInput().frequency);
      const ok = inputs.monetary.value.trim() !== "" && inputs.frequency.value.trim() !== "" &&
        Number.isFinite(m) && Number.isInteger(n) && n >= 1 && m >= 0;
      aov.value = ok ? money(m / n) : "";
      aov.placeholder = ok ? "" : "needs valid net revenue and invoices";
    } else aov.placeholder = "";
  }

  function renderCharts() {
    const r = state.result;
    const { full, side } = state.widths;
    if (!full) return;
    scaleBox.replaceChildren();
    probBox.replaceChildren();
    const overlayOld = layers.querySelector(".sw-overlay");
    if (overlayOld) overlayOld.remove();
    if (!r || !r.ok) return;
    scaleBox.append(scoreScaleChart(r.score, model.score, { width: side }));
    probBox.append(probabilityChart(r.probabilities, levels, { predicted: r.level, width: side }));
    const height = Math.round(Math.min(440, Math.max(300, full * 0.5)));
    if (
      !layers.querySelector(".sw-background") ||
      layers.dataset.key !== `${full}:${state.axes.x}:${state.axes.y}`
    ) {
      layers.replaceChildren();
      const bg = neighbourBackground(model, { ...state.axes, width: full, height, currency });
      bg.classList.add("sw-background");
      layers.append(bg);
      layers.dataset.key = `${full}:${state.axes.x}:${state.axes.y}`;
    }
    const overlay = neighbourOverlay(model, state.query, r.neighbourRows, {
      ...state.axes,
      width: full,
      height,
      currency,
    });
    overlay.classList.add("sw-overlay");
    layers.append(overlay);
  }

  const escape = (v) =>
    String(v).replace(
      /[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
    );
  let tableFor = null; // the result the table shows
  function renderNeighbourTable(r) {
    if (!r || !r.ok) {
      nbSummary.textContent = "Nearest training customers (none: fix the inputs first)";
      nbTable.replaceChildren();
      tableFor = r;
      return;
    }
    nbSummary.textContent =
      `Show the ${r.neighbours.length} nearest training customers as a table (their figures at the cutoff, and the level they reached)`;
    // Built only while the table is open (and when it is opened): it is the slowest part to draw.
    if (!details.open || tableFor === r) return;
    tableFor = r;
    const cols = features.map((f) => featureInfo(f, currency));
    const right = ' style="text-align:right"';
    const head =
      `<thead><tr><th>#</th><th>Customer</th><th>Level reached</th><th${right}>Distance</th>${
        cols.map((c) => `<th${right}>${escape(c.short)}</th>`).join("")
      }</tr></thead>`;
    const body = r.neighbourRows.map((n, i) => {
      const p = model.knn.points[n.index];
      const cells = features.map((f, j) => {
        const v = fromModelScale(model.scaler, f, p[j]);
        return `<td${right}>${
          f === "monetary" || f === "avg_order_value" ? fmtNum(v, 2) : fmtInt(v)
        }</td>`;
      }).join("");
      const dot = colors[levels.indexOf(n.level)];
      return `<tr><td>${i + 1}</td><td>${
        escape(n.customer_id)
      }</td><td><i class="sw-dot" style="background:${dot}"></i>${
        escape(n.level)
      }</td><td${right}>${fmtNum(n.distance, 3)}</td>${cells}</tr>`;
    }).join("");
    const table = document.createElement("table");
    table.className = "sw-nb-table";
    table.innerHTML = `${head}<tbody>${body}</tbody>`;
    nbTable.replaceChildren(table);
  }

  // Training row of each neighbour (the result gives ids; ids are unique in the model).
  const rowOfId = new Map(model.customerIds.map((id, i) => [id, i]));

  function update() {
    const t0 = performance.now();
    syncDerived();
    const raw = rawInput();
    const r = scoreCustomer(model, raw);
    const byField = r.ok ? {} : messagesByField(r.errors);
    for (const f of features) {
      const msgs = byField[f] ?? [];
      errorsOf[f].textContent = msgs.join(" ");
      inputs[f].classList.toggle("invalid", msgs.length > 0);
      inputs[f].setAttribute("aria-invalid", msgs.length > 0 ? "true" : "false");
    }
    if (r.ok) {
      const values = {};
      for (const f of features) {
        values[f] = f in raw ? Number(raw[f]) : Number(raw.monetary) / Number(raw.frequency);
      }
      state.query = features.map((f) => toModelScale(model.scaler, f, values[f]));
      r.neighbourRows = r.neighbours.map((n) => ({ ...n, index: rowOfId.get(n.customer_id) }));
      const band = model.score.bands.findIndex((b) => b.name === r.band);
      headline.replaceChildren(html`
        <div class="sw-big">
          <div>
            <div class="sw-label">Predicted level</div>
            <div class="sw-value" style=${{ color: colors[r.levelIndex] }}>${r.level}</div>
          </div>
          <div>
            <div class="sw-label">Score</div>
            <div class="sw-value">${fmtInt(r.score)}</div>
          </div>
          <div>
            <div class="sw-label">Band</div>
            <div class="sw-value"><span class="sw-band" style=${{
              background: bandColors(model.score.bands.length)[band],
              color: band === 0 || band === model.score.bands.length - 1 ? "white" : "black",
            }}>${r.band}</span></div>
          </div>
        </div>
      `);
      const counts = levels.map((l) => r.neighbours.filter((n) => n.level === l).length);
      votes.textContent = `Of the ${r.neighbours.length} most similar training customers, ${
        levels.map((l, i) => `${counts[i]} ${i === 0 ? "were" : ""} ${l}`.replace(/\s+/g, " "))
          .join(", ")
          .replace(/, ([^,]*)$/, " and $1")
      } in the ${fmtInt(windowDays)} days after the cutoff${
        model.knn.weighting === "uniform"
          ? ": hence the probabilities."
          : " (votes weighted by closeness)."
      }`;
      const far = outOfRange(model.scaler, values);
      warning.replaceChildren(
        far.length
          ? html`
            <p
              class="sw-warn"><b>Outside the training data:</b> ${far.map((x) =>
                featureInfo(x.feature, currency).label.toLowerCase()
              ).join(", ")} ${far.length > 1
                ? "are"
                : "is"} more than 4 standard deviations from the training customers' average, so the nearest neighbours are far away and this prediction is an extrapolation.</p>
          `
          : "",
      );
    } else {
      state.query = null;
      votes.textContent = "";
      headline.replaceChildren(html`
        <div
          class="sw-invalid"><b>No score yet.</b> ${r.errors.length === 1
            ? "One field needs"
            : `${r.errors.length} fields need`} attention: see the message${r.errors.length === 1
            ? ""
            : "s"} beside ${r.errors.length === 1 ? "it" : "them"}.</div>
      `);
      warning.replaceChildren();
    }
    state.result = r;
    pickNote.textContent = pickNoteText();
    renderCharts();
    renderNeighbourTable(r);
    const ms = performance.now() - t0;
    timing.textContent = r.ok
      ? `Scored and drawn in ${
        fmtNum(ms, 1)
      } ms in your browser, with the pipeline's own scoring code.`
      : "";
    root.dataset.latencyMs = ms.toFixed(3);
    root.dataset.updates = String(Number(root.dataset.updates ?? 0) + 1);
    root.dataset.result = JSON.stringify(
      r.ok
        ? {
          ok: true,
          level: r.level,
          probabilities: r.probabilities,
          score: r.score,
          band: r.band,
          neighbours: r.neighbours.map((n) => n.customer_id),
        }
        : { ok: false, errors: r.errors },
    );
  }

  // ----- events -----
  for (const f of features) inputs[f].addEventListener("input", update);
  deriveBox?.addEventListener("change", () => {
    if (!deriveBox.checked) inputs.avg_order_value.focus();
    update();
  });
  exampleSelect.addEventListener("change", () => {
    const e = examples[Number(exampleSelect.value)];
    if (e) {
      search.value = "";
      fill(e, "example");
    }
  });
  xSelect.addEventListener("change", () => {
    state.axes.x = xSelect.value;
    renderCharts();
  });
  ySelect.addEventListener("change", () => {
    state.axes.y = ySelect.value;
    renderCharts();
  });

  let loading = null;
  function ensureCustomers() {
    if (!loadCustomers) return Promise.resolve(null);
    if (!loading) {
      pickNote.textContent = "Loading the customer list…";
      loading = loadCustomers().then((c) => {
        state.customers = c;
        state.index = new Map(c.customer_id.map((id, i) => [id, i]));
        pickNote.textContent = state.picked
          ? pickNoteText()
          : `${fmtInt(c.rows)} customers: type an id (for example ${c.customer_id[0]}).`;
        return c;
      });
    }
    return loading;
  }
  function customerAt(c, i) {
    const cat = (col) => (col ? col.dict[col.codes[i]] || null : null);
    return {
      customer_id: c.customer_id[i],
      recency_days: c.recency_days[i],
      frequency: c.frequency[i],
      monetary: c.monetary[i],
      tenure_days: c.tenure_days[i],
      avg_order_value: c.monetary[i] / c.frequency[i],
      rfm_segment: cat(c.rfm_segment),
      cluster: cat(c.cluster),
      country: cat(c.country),
      score: c.score?.[i] ?? null,
      band: c.band ? cat(c.band) : null,
    };
  }
  async function onSearch() {
    const c = await ensureCustomers();
    if (!c) return;
    const q = search.value.trim();
    const i = state.index.get(q);
    if (i !== undefined) {
      exampleSelect.value = "";
      fill(customerAt(c, i), "search");
      return;
    }
    // Suggestions: the first ids that start with what was typed.
    const matches = [];
    if (q) {
      for (const id of c.customer_id) {
        if (id.startsWith(q)) matches.push(id);
        if (matches.length >= 30) break;
      }
    }
    datalist.replaceChildren(...matches.map((id) => html`<option value=${id}>`));
    pickNote.textContent = q && !matches.length
      ? `No customer id starts with “${q}”.`
      : pickNoteText() ||
        `${fmtInt(c.rows)} customers: type an id.`;
  }
  search.addEventListener("focus", ensureCustomers);
  search.addEventListener("input", onSearch);
  search.addEventListener("change", onSearch);

  // Width-dependent drawing once the widget is on the page, and again when its size changes.
  const measure = () => {
    const full = Math.floor(root.querySelector(".sw-neighbours").clientWidth);
    const side = Math.floor(root.querySelector(".sw-result").clientWidth);
    if (full && (full !== state.widths.full || side !== state.widths.side)) {
      state.widths = { full, side };
      renderCharts();
    }
  };
  new ResizeObserver(measure).observe(root);

  // Start from the example in the middle band (a typical customer). Score it once untimed first:
  // the first call builds the neighbour index (a KD-tree of the training customers).
  const start = examples[Math.floor((examples.length - 1) / 2)];
  if (start) scoreCustomer(model, start);
  if (start) {
    exampleSelect.value = String(examples.indexOf(start));
    fill(start, "example");
  } else update();
  return root;
}
