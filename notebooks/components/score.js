// The "score a customer" widget and its charts. The widget runs the pipeline's own scoring code
// (`scoreCustomer` from src/score/score.ts, bundled into components/generated/workspace.js and
// passed in by the page) on the model the build wrote (reports/model.json, through a data loader).
//
// It updates itself synchronously on every input event (no round trip through the notebook's
// reactive runtime), and records how long scoring and drawing took in `data-latency-ms` on its
// root element; `data-result` holds the last result (level, probabilities, score, band, neighbour
// ids, or the field errors) for the browser test.
//
// It is built from small parts: the inputs form (`customerPicker` and `featureFields` in
// `inputsForm`), the result panel (`resultPanel`, filled by `showResult` / `showInvalid`), the
// neighbour panel (`neighbourPanel`, drawn by `drawCharts` and `drawNeighbourTable`), the range
// note (`rangeNote`), and `scoreWidget`, which owns the state and wires the parts
// (`wireControls`, `wireCustomerSearch`, `redrawOnResize`) to one `update`.
import * as Plot from "@observablehq/plot";
import { html as htl } from "htl";
import { chartWidth, fmtInt, fmtLogTick, fmtNum, fmtPct } from "./format.js";
import { featureText } from "./features.js";
import { labelledBarsX } from "./marks.js";
import { bandColors, levelColors } from "./palette.js";
import {
  daysBetween,
  feature,
  featureList,
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

/** Whether a feature holds money (the registry's kind): shown with cents. */
const isMoney = (name) => feature(name)?.kind === "money";

/** Money as a field shows it: rounded to cents, without ".00". */
const moneyText = (v) => (Math.round(v * 100) / 100).toFixed(2).replace(/\.00$/, "");

/** A feature's value as field text (money rounded to cents). */
const fieldText = (name, v) => (isMoney(name) ? moneyText(v) : String(v));

/** The id of a feature's input (its label and error line refer to it). */
const fieldId = (name) => `sw-${name}`;

// ---------------------------------------------------------------------------------------------
// Charts

/**
 * Probability of each level as horizontal bars, the predicted level's label in bold.
 *
 * @param {Record<string, number>} probabilities by level name
 * @param {string[]} levels level names, lowest first
 * @param {{predicted?: string, width?: number}} options other options go to Plot.plot
 */
export function probabilityChart(
  probabilities,
  levels,
  { predicted, width = 320, ...options } = {},
) {
  width = chartWidth(width);
  const data = levels.map((level) => ({ level, p: probabilities[level] ?? 0 }));
  return Plot.plot({
    ...options,
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
    marks: labelledBarsX(data, {
      x: "p",
      y: "level",
      fill: "level",
      text: (d) => fmtPct(d.p, 0),
      fontWeight: (d) => (d.level === predicted ? "bold" : "normal"),
    }),
  });
}

/**
 * The score scale with its bands (best band on the right) and a marker at the score.
 *
 * @param {number} score
 * @param {{min: number, max: number, bands: {name: string, minScore: number, maxScore: number}[]}} scale
 * @param {{width?: number}} options other options go to Plot.plot
 */
export function scoreScaleChart(score, scale, { width = 320, ...options } = {}) {
  width = chartWidth(width);
  const colors = bandColors(scale.bands.length);
  const bands = scale.bands.map((b, i) => ({ ...b, color: colors[i] }));
  return Plot.plot({
    ...options,
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

/**
 * One axis of the neighbour chart, on the model's scale: round raw values as ticks (the bundle's
 * `niceRawTicks`, at least 34 px apart), labelled in raw units.
 */
function modelScaleAxis(model, feature, [lo, hi], px, currency) {
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
  const { label, unit } = featureText(feature, currency);
  const log = model.scaler.log[model.scaler.names.indexOf(feature)];
  const notes = [unit, log ? "log scale" : ""].filter((x) => x).join(", ");
  return {
    domain: [lo, hi],
    ticks: positions,
    tickFormat: (z) => fmtLogTick(Math.round(fromModelScale(model.scaler, feature, z) * 100) / 100),
    label: notes ? `${label} (${notes})` : label,
  };
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
  const margins = { marginLeft: 54, marginRight: 14, marginTop: 14, marginBottom: 42 };
  const xPx = width - margins.marginLeft - margins.marginRight;
  const yPx = height - margins.marginTop - margins.marginBottom;
  const x = modelScaleAxis(model, xf, pad(x0, x1), xPx, currency);
  const y = modelScaleAxis(model, yf, pad(y0, y1), yPx, currency);
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

// ---------------------------------------------------------------------------------------------
// The widget's parts

/** What the widget needs to know about the model: features, levels and colours, window length. */
function widgetModel(model) {
  const features = model.features;
  const revenue = featureList(["monetary"]);
  const invoices = featureText("frequency").unit;
  return {
    model,
    features,
    levels: model.levels,
    colors: levelColors(model.levels.length),
    windowDays: daysBetween(model.cutoff, model.windowEnd),
    // The average order value can be derived from net revenue and invoices (src/score.ts' rule).
    derivable: ["avg_order_value", "monetary", "frequency"].every((f) => features.includes(f)),
    deriveRule: `${revenue} ÷ ${invoices}`,
    deriveNeeds: `needs valid ${revenue} and ${invoices}`,
    rowOfId: new Map(model.customerIds.map((id, i) => [id, i])), // training row of each id
  };
}

/** One field per model feature (label and unit, input, error line), the derive toggle beside the average order value. */
function featureFields(m, currency) {
  const inputs = {};
  const errors = {};
  const derive = m.derivable
    ? html`
      <label
        class="sw-derive"><input type="checkbox" name="derive_aov" checked> = ${m
          .deriveRule}</label>
    `
    : null;
  const rows = m.features.map((f) => {
    const { label, unit } = featureText(f, currency);
    inputs[f] = html`
      <input type="text" inputmode="decimal" autocomplete="off" spellcheck="false" name=${f}
        id=${fieldId(f)} aria-describedby=${`${fieldId(f)}-error`}>
    `;
    errors[f] = html`
      <div class="field-error" data-field=${f} id=${`${fieldId(f)}-error`} role="alert"
        aria-live="polite"></div>
    `;
    return html`<div class="sw-field">
      <label for=${fieldId(f)}>${label} <span class="muted">${
      unit ? `(${unit})` : ""
    }</span></label>
      ${inputs[f]}
      ${f === "avg_order_value" ? derive : null}
      ${errors[f]}
    </div>`;
  });
  return { rows, inputs, errors, deriveBox: derive?.querySelector("input") ?? null };
}

/** The "start from an existing customer" controls: id search with suggestions, examples, note. */
function customerPicker(examples) {
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
  const note = html`<div class="sw-pick-note muted" aria-live="polite"></div>`;
  return { search, datalist, exampleSelect, note };
}

/** The inputs form: the customer picker above the feature fields. */
function inputsForm(picker, fields) {
  return html`<form class="sw-form" onsubmit=${(e) => e.preventDefault()}>
    <h3>Start from an existing customer</h3>
    <div class="sw-pick">${picker.search}${picker.datalist}${picker.exampleSelect}</div>
    ${picker.note}
    <h3>… or enter the customer's figures</h3>
    ${fields.rows}
  </form>`;
}

/** The result panel: headline, score scale, probabilities, votes, range note and timing. */
function resultPanel(m) {
  const parts = {
    headline: html`<div class="sw-headline" aria-live="polite"></div>`,
    scaleBox: html`<div class="sw-chart"></div>`,
    probBox: html`<div class="sw-chart"></div>`,
    votes: html`<p class="sw-votes"></p>`,
    warning: html`<div class="sw-warning" aria-live="polite"></div>`,
    timing: html`<div class="sw-timing muted"></div>`,
  };
  const element = html`<div class="sw-result">
    <h3>Prediction for the next ${fmtInt(m.windowDays)} days</h3>
    ${parts.headline}${parts.scaleBox}${parts.probBox}${parts.votes}${parts.warning}${parts.timing}
  </div>`;
  return { element, ...parts };
}

/** The headline of a valid result: predicted level, score and band, in the charts' colours. */
function headlineOk(r, m) {
  const bands = m.model.score.bands;
  const band = bands.findIndex((b) => b.name === r.band);
  return html`
    <div class="sw-big">
      <div>
        <div class="sw-label">Predicted level</div>
        <div class="sw-value" style=${{ color: m.colors[r.levelIndex] }}>${r.level}</div>
      </div>
      <div>
        <div class="sw-label">Score</div>
        <div class="sw-value">${fmtInt(r.score)}</div>
      </div>
      <div>
        <div class="sw-label">Band</div>
        <div class="sw-value"><span class="sw-band" style=${{
          background: bandColors(bands.length)[band],
          color: band === 0 || band === bands.length - 1 ? "white" : "black",
        }}>${r.band}</span></div>
      </div>
    </div>
  `;
}

/** The headline while fields are invalid: how many need attention. */
function headlineInvalid(errors) {
  const one = errors.length === 1;
  return html`
    <div
      class="sw-invalid"><b>No score yet.</b> ${one
        ? "One field needs"
        : `${errors.length} fields need`} attention: see the message${one ? "" : "s"} beside ${one
        ? "it"
        : "them"}.</div>
  `;
}

/** How the nearest neighbours voted, as a sentence. */
function votesSentence(r, m) {
  const counts = m.levels.map((l) => r.neighbours.filter((n) => n.level === l).length);
  return `Of the ${r.neighbours.length} most similar training customers, ${
    m.levels.map((l, i) => `${counts[i]} ${i === 0 ? "were" : ""} ${l}`.replace(/\s+/g, " "))
      .join(", ")
      .replace(/, ([^,]*)$/, " and $1")
  } in the ${fmtInt(m.windowDays)} days after the cutoff${
    m.model.knn.weighting === "uniform"
      ? ": hence the probabilities."
      : " (votes weighted by closeness)."
  }`;
}

/** The range note: figures far outside the training customers make the answer an extrapolation. */
function rangeNote(far) {
  if (!far.length) return "";
  return html`
    <p
      class="sw-warn"><b>Outside the training data:</b> ${featureList(
        far.map((x) => x.feature),
      )} ${far.length > 1
        ? "are"
        : "is"} more than 4 standard deviations from the training customers' average, so the nearest neighbours are far away and this prediction is an extrapolation.</p>
  `;
}

/** A select of the feature on one axis of the neighbour chart. */
function axisSelect(m, which, selected, currency) {
  return html`<select name=${`axis-${which}`}>${
    m.features.map((f) =>
      html`<option value=${f} selected=${selected === f}>${featureText(f, currency).label}</option>`
    )
  }</select>`;
}

/** The neighbour chart's legend: the level colours, the star and the neighbour ring. */
function neighbourLegend(m) {
  return html`
    <div
      class="sw-legend">${m.levels.map((l, i) =>
        html`<span><i style=${{ background: m.colors[i] }}></i>${l}</span>`
      )}<span><b class="sw-star">★</b>this customer</span><span><i class="sw-ring"></i>nearest neighbours</span></div>
  `;
}

/** The neighbour panel: axis choice, legend, the chart's two layers and the (lazy) table. */
function neighbourPanel(m, axes, currency) {
  const xSelect = axisSelect(m, "x", axes.x, currency);
  const ySelect = axisSelect(m, "y", axes.y, currency);
  const layers = html`<div class="sw-layers"></div>`;
  const table = html`<div class="table-scroll"></div>`;
  const summary = html`<summary></summary>`;
  const details = html`<details>${summary}${table}</details>`;
  const element = html`<div class="sw-neighbours">
    <h3>The ${fmtInt(m.model.knn.k)} nearest training customers</h3>
    <p class="muted sw-axes">Nearness is measured on all ${m.features.length} features; the chart shows two of them: <label>x ${xSelect}</label> <label>y ${ySelect}</label></p>
    ${neighbourLegend(m)}
    ${layers}
    ${details}
  </div>`;
  return { element, xSelect, ySelect, layers, table, summary, details };
}

/** The nearest training customers as a table: figures at the cutoff, level reached, distance. */
function neighbourTable(r, m, currency) {
  const escape = (v) =>
    String(v).replace(
      /[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
    );
  const right = ' style="text-align:right"';
  const head =
    `<thead><tr><th>#</th><th>Customer</th><th>Level reached</th><th${right}>Distance</th>${
      m.features.map((f) => `<th${right}>${escape(featureText(f, currency).short)}</th>`).join("")
    }</tr></thead>`;
  const body = r.neighbourRows.map((n, i) => {
    const p = m.model.knn.points[n.index];
    const cells = m.features.map((f, j) => {
      const v = fromModelScale(m.model.scaler, f, p[j]);
      return `<td${right}>${isMoney(f) ? fmtNum(v, 2) : fmtInt(v)}</td>`;
    }).join("");
    const dot = m.colors[m.levels.indexOf(n.level)];
    return `<tr><td>${i + 1}</td><td>${
      escape(n.customer_id)
    }</td><td><i class="sw-dot" style="background:${dot}"></i>${escape(n.level)}</td><td${right}>${
      fmtNum(n.distance, 3)
    }</td>${cells}</tr>`;
  }).join("");
  const table = document.createElement("table");
  table.className = "sw-nb-table";
  table.innerHTML = `${head}<tbody>${body}</tbody>`;
  return table;
}

/**
 * The neighbour table's summary, and the table itself only while it is open (it is the slowest
 * part to draw; `state.tableFor` is the result it shows).
 */
function drawNeighbourTable(ui, state, m, currency) {
  const r = state.result;
  const { summary, table, details } = ui.neighbours;
  if (!r || !r.ok) {
    summary.textContent = "Nearest training customers (none: fix the inputs first)";
    table.replaceChildren();
    state.tableFor = r;
    return;
  }
  summary.textContent =
    `Show the ${r.neighbours.length} nearest training customers as a table (their figures at the cutoff, and the level they reached)`;
  if (!details.open || state.tableFor === r) return;
  state.tableFor = r;
  table.replaceChildren(neighbourTable(r, m, currency));
}

/**
 * The width-dependent charts: score scale and probabilities in the result panel, and the
 * neighbour chart (its background redrawn only when the width or the axes change).
 */
function drawCharts(ui, state, m, currency) {
  const r = state.result;
  const { full, side } = state.widths;
  if (!full) return;
  const { scaleBox, probBox } = ui.result;
  const { layers } = ui.neighbours;
  scaleBox.replaceChildren();
  probBox.replaceChildren();
  layers.querySelector(".sw-overlay")?.remove();
  if (!r || !r.ok) return;
  scaleBox.append(scoreScaleChart(r.score, m.model.score, { width: side }));
  probBox.append(probabilityChart(r.probabilities, m.levels, { predicted: r.level, width: side }));
  const options = { ...state.axes, width: full, currency };
  options.height = Math.round(Math.min(440, Math.max(300, full * 0.5)));
  const key = `${full}:${state.axes.x}:${state.axes.y}`;
  if (!layers.querySelector(".sw-background") || layers.dataset.key !== key) {
    layers.replaceChildren();
    const background = neighbourBackground(m.model, options);
    background.classList.add("sw-background");
    layers.append(background);
    layers.dataset.key = key;
  }
  const overlay = neighbourOverlay(m.model, state.query, r.neighbourRows, options);
  overlay.classList.add("sw-overlay");
  layers.append(overlay);
}

// ---------------------------------------------------------------------------------------------
// Reading and filling the fields

/**
 * The raw input to score: each field's text, or the exact stored value behind a picked
 * customer's rounded text; the average order value is left out while it is derived.
 */
function readInputs(fields, state, m) {
  const raw = {};
  for (const f of m.features) {
    if (f === "avg_order_value" && fields.deriveBox?.checked) continue; // derived by scoreCustomer
    const text = fields.inputs[f].value;
    const ex = state.exact[f];
    raw[f] = ex && ex.text === text ? ex.value : text;
  }
  return raw;
}

/** Fills the fields with a customer's figures (rounded text; the exact values kept behind it). */
function fillFields(fields, state, m, customer) {
  const { inputs, deriveBox } = fields;
  state.exact = {};
  for (const f of m.features) {
    if (f === "avg_order_value") continue;
    const v = customer[f];
    if (v == null) continue;
    const text = fieldText(f, v);
    inputs[f].value = text;
    state.exact[f] = { text, value: v };
  }
  if (m.features.includes("avg_order_value")) {
    if (deriveBox) deriveBox.checked = true;
    else if (customer.avg_order_value != null) {
      inputs.avg_order_value.value = fieldText("avg_order_value", customer.avg_order_value);
      state.exact.avg_order_value = {
        text: inputs.avg_order_value.value,
        value: customer.avg_order_value,
      };
    }
  }
}

/** Keeps the derived average order value in step with net revenue and invoices. */
function syncDerived(fields, state, m) {
  const { inputs, deriveBox } = fields;
  if (!deriveBox) return;
  const aov = inputs.avg_order_value;
  aov.disabled = deriveBox.checked;
  if (deriveBox.checked) {
    const raw = readInputs(fields, state, m);
    const revenue = Number(raw.monetary);
    const n = Number(raw.frequency);
    const ok = inputs.monetary.value.trim() !== "" && inputs.frequency.value.trim() !== "" &&
      Number.isFinite(revenue) && Number.isInteger(n) && n >= 1 && revenue >= 0;
    aov.value = ok ? moneyText(revenue / n) : "";
    aov.placeholder = ok ? "" : m.deriveNeeds;
  } else aov.placeholder = "";
}

/** Shows each field's messages beside it and marks the field invalid. */
function showFieldErrors(fields, m, byField) {
  for (const f of m.features) {
    const msgs = byField[f] ?? [];
    fields.errors[f].textContent = msgs.join(" ");
    fields.inputs[f].classList.toggle("invalid", msgs.length > 0);
    fields.inputs[f].setAttribute("aria-invalid", msgs.length > 0 ? "true" : "false");
  }
}

/** The note under the customer picker: who the figures come from, and whether they were edited. */
function pickNoteText(fields, state, m) {
  const c = state.picked;
  if (!c) return "";
  const edited = m.features.some((f) => {
    if (f === "avg_order_value") return false;
    const ex = state.exact[f];
    return ex && fields.inputs[f].value !== ex.text;
  });
  const ctx = [c.rfm_segment, c.cluster, c.country].filter((x) => x).join(" · ");
  const table = c.score != null
    ? ` In the customer table: score ${fmtInt(c.score)}, band ${c.band ?? "?"}.`
    : "";
  return edited
    ? `Started from customer ${c.customer_id}; the figures have been edited.`
    : `Customer ${c.customer_id}${ctx ? ` — ${ctx}` : ""}: current figures.${table}`;
}

// ---------------------------------------------------------------------------------------------
// Showing a result

/** Shows a valid result: headline, votes, range note; keeps the query and neighbour rows. */
function showResult(ui, state, m, r, raw) {
  const values = {};
  for (const f of m.features) {
    values[f] = f in raw ? Number(raw[f]) : Number(raw.monetary) / Number(raw.frequency);
  }
  state.query = m.features.map((f) => toModelScale(m.model.scaler, f, values[f]));
  r.neighbourRows = r.neighbours.map((n) => ({ ...n, index: m.rowOfId.get(n.customer_id) }));
  ui.result.headline.replaceChildren(headlineOk(r, m));
  ui.result.votes.textContent = votesSentence(r, m);
  ui.result.warning.replaceChildren(rangeNote(outOfRange(m.model.scaler, values)));
}

/** Shows an invalid input: no score, the count of fields that need attention. */
function showInvalid(ui, state, r) {
  state.query = null;
  ui.result.votes.textContent = "";
  ui.result.headline.replaceChildren(headlineInvalid(r.errors));
  ui.result.warning.replaceChildren();
}

/** Records the result, the time it took and the update count on the root (for the browser test). */
function recordResult(root, r, ms) {
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

// ---------------------------------------------------------------------------------------------
// Picking a customer by id

/** The customer list (an arquero table of score-customers.arrow) with its ids and an id index. */
function customerList(table) {
  const ids = Array.from(table.array("customer_id"));
  return { table, ids, index: new Map(ids.map((id, i) => [id, i])) };
}

/** One customer of the list, as the fields take it (average order value = revenue / invoices). */
function customerAt(list, i) {
  const row = list.table.object(i);
  return { ...row, avg_order_value: row.avg_order_value ?? row.monetary / row.frequency };
}

/** The first ids that start with what was typed (at most 30), for the search's suggestions. */
function idSuggestions(ids, q) {
  const matches = [];
  if (!q) return matches;
  for (const id of ids) {
    if (id.startsWith(q)) matches.push(id);
    if (matches.length >= 30) break;
  }
  return matches;
}

/**
 * Wires the id search: the list is loaded on first use; an exact id fills the fields, anything
 * else gets suggestions.
 */
function wireCustomerSearch(ui, state, m, loadCustomers, fill) {
  const { search, datalist, exampleSelect, note } = ui.picker;
  let loading = null;
  const ensureCustomers = () => {
    if (!loadCustomers) return Promise.resolve(null);
    if (!loading) {
      note.textContent = "Loading the customer list…";
      loading = loadCustomers().then((table) => {
        const list = customerList(table);
        note.textContent = state.picked
          ? pickNoteText(ui.fields, state, m)
          : `${fmtInt(list.ids.length)} customers: type an id (for example ${list.ids[0]}).`;
        return list;
      });
    }
    return loading;
  };
  const onSearch = async () => {
    const list = await ensureCustomers();
    if (!list) return;
    const q = search.value.trim();
    const i = list.index.get(q);
    if (i !== undefined) {
      exampleSelect.value = "";
      fill(customerAt(list, i), "search");
      return;
    }
    const matches = idSuggestions(list.ids, q);
    datalist.replaceChildren(...matches.map((id) => html`<option value=${id}>`));
    note.textContent = q && !matches.length
      ? `No customer id starts with “${q}”.`
      : pickNoteText(ui.fields, state, m) || `${fmtInt(list.ids.length)} customers: type an id.`;
  };
  search.addEventListener("focus", ensureCustomers);
  search.addEventListener("input", onSearch);
  search.addEventListener("change", onSearch);
}

// ---------------------------------------------------------------------------------------------
// Wiring

/**
 * Wires the controls: typing in a field re-scores, the derive toggle, the example picker, the
 * chart's axis selects and the neighbour table's disclosure.
 */
function wireControls(ui, state, m, currency, { examples, update, fill }) {
  const { inputs, deriveBox } = ui.fields;
  const { exampleSelect, search } = ui.picker;
  const { xSelect, ySelect, details } = ui.neighbours;
  for (const f of m.features) inputs[f].addEventListener("input", update);
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
  for (const [which, select] of [["x", xSelect], ["y", ySelect]]) {
    select.addEventListener("change", () => {
      state.axes[which] = select.value;
      drawCharts(ui, state, m, currency);
    });
  }
  details.addEventListener("toggle", () => drawNeighbourTable(ui, state, m, currency));
}

/** Redraws the width-dependent charts once the widget is on the page and whenever it resizes. */
function redrawOnResize(root, ui, state, m, currency) {
  new ResizeObserver(() => {
    const full = Math.floor(ui.neighbours.element.clientWidth);
    const side = Math.floor(ui.result.element.clientWidth);
    if (full && (full !== state.widths.full || side !== state.widths.side)) {
      state.widths = { full, side };
      drawCharts(ui, state, m, currency);
    }
  }).observe(root);
}

// ---------------------------------------------------------------------------------------------
// The widget

/**
 * The score widget.
 *
 * @param {object} args
 * @param {object} args.model the loyalty model (model.json)
 * @param {(model: object, input: object) => object} args.scoreCustomer the bundled src/score/score.ts function
 * @param {object[]} args.examples example customers (score-examples.json)
 * @param {() => Promise<import("arquero").ColumnTable>} args.loadCustomers reads score-customers.arrow (called on first use)
 * @param {string} args.currency the dataset's currency
 * @returns {HTMLElement}
 */
export function scoreWidget({ model, scoreCustomer, examples = [], loadCustomers, currency }) {
  const m = widgetModel(model);
  const features = m.features;
  const state = {
    exact: {}, // field → {text, value}: exact stored values behind rounded display text
    picked: null, // the customer the fields were filled from
    result: null,
    query: null,
    tableFor: null, // the result the neighbour table shows
    axes: {
      x: features.includes("recency_days") ? "recency_days" : features[0],
      y: features.includes("frequency") ? "frequency" : features[1],
    },
    widths: { full: 0, side: 0 },
  };
  const ui = {
    fields: featureFields(m, currency),
    picker: customerPicker(examples),
    result: resultPanel(m),
    neighbours: neighbourPanel(m, state.axes, currency),
  };
  const root = html`
    <div class="score-widget" id="score-widget">
      <div class="sw-grid">${inputsForm(ui.picker, ui.fields)}${ui.result.element}</div>
      ${ui.neighbours.element}
    </div>
  `;

  /** Scores the fields and redraws everything that depends on the result. */
  function update() {
    const t0 = performance.now();
    syncDerived(ui.fields, state, m);
    const raw = readInputs(ui.fields, state, m);
    const r = scoreCustomer(model, raw);
    showFieldErrors(ui.fields, m, r.ok ? {} : messagesByField(r.errors));
    if (r.ok) showResult(ui, state, m, r, raw);
    else showInvalid(ui, state, r);
    state.result = r;
    ui.picker.note.textContent = pickNoteText(ui.fields, state, m);
    drawCharts(ui, state, m, currency);
    drawNeighbourTable(ui, state, m, currency);
    const ms = performance.now() - t0;
    ui.result.timing.textContent = r.ok
      ? `Scored and drawn in ${
        fmtNum(ms, 1)
      } ms in your browser, with the pipeline's own scoring code.`
      : "";
    recordResult(root, r, ms);
  }

  /** Fills the fields from a customer (picked by id or an example) and scores them. */
  function fill(customer, note) {
    fillFields(ui.fields, state, m, customer);
    state.picked = { ...customer, note };
    update();
  }

  wireControls(ui, state, m, currency, { examples, update, fill });
  wireCustomerSearch(ui, state, m, loadCustomers, fill);
  redrawOnResize(root, ui, state, m, currency);

  // Start from the example in the middle band (a typical customer). Score it once untimed first:
  // the first call builds the neighbour index (a KD-tree of the training customers).
  const start = examples[Math.floor((examples.length - 1) / 2)];
  if (start) {
    scoreCustomer(model, start);
    ui.picker.exampleSelect.value = String(examples.indexOf(start));
    fill(start, "example");
  } else update();
  return root;
}
