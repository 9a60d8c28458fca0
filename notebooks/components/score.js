// The "score a customer" widget. It runs the pipeline's own scoring code (`scoreCustomer` from
// src/score/score.ts, bundled into components/generated/workspace.js and passed in by the page)
// on the model the build wrote (reports/model.json, through a data loader), and shows the
// predicted level, the probabilities, the score and band, the recommended action (the action of
// the RFM segment the figures fall in, from the build's thresholds and rules), and the reason
// codes (src/score/reasons.ts: the features that move this customer's score most).
//
// It updates itself synchronously on every input event (no round trip through the notebook's
// reactive runtime), draws nothing with Plot (the result is plain HTML; the training customers
// are drawn once on a canvas, and only the nearest neighbours and the axes are SVG), and records
// how long scoring and drawing took in `data-latency-ms` on its root element; `data-result` holds
// the last result (level, probabilities, score, band, neighbour ids, or the field errors) for the
// browser test. The reason codes follow a frame later, so that they never delay the result.
//
// It is built from small parts: the inputs form (`customerPicker` and `featureFields` in
// `inputsForm`), the result panel (`resultPanel`, filled by `showResult` / `showInvalid`), the
// neighbour panel (`neighbourPanel`, drawn by `drawCharts` and `drawNeighbourTable`), the range
// note (`rangeNote`), and `scoreWidget`, which owns the state and wires the parts
// (`wireControls`, `wireCustomerSearch`, `redrawOnResize`) to one `update`.
import { html as htl } from "htl";
import { fmtInt, fmtLogTick, fmtNum, fmtPct } from "./format.js";
import { featureText } from "./features.js";
import { bandColors, inkOn, levelColors } from "./palette.js";
import {
  daysBetween,
  explainScore,
  feature,
  featureList,
  fromModelScale,
  horizonPhrase,
  niceRawTicks,
  outlookAction,
  outOfRange,
  plainMessagesByField,
  segmentForFigures,
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

/** Most decimals a field shows of a value that is not money (a trend of 1/3 reads "0.3333"). */
const FIELD_DECIMALS = 4;

/**
 * A feature's value as field text: money rounded to cents, other values to
 * {@link FIELD_DECIMALS} decimals without trailing zeros. Only the text is rounded: a picked
 * customer is scored on the exact values behind it until a field is edited (`state.exact`).
 */
const fieldText = (name, v) =>
  isMoney(name) ? moneyText(v) : String(Number(v.toFixed(FIELD_DECIMALS)) + 0);

/** Whether a feature is a share, between 0 and 1 (the registry's range): its field says it in per cent too. */
const isShare = (name) => {
  const f = feature(name);
  return f?.kind === "ratio" && f.range?.[0] === 0 && f.range?.[1] === 1;
};

/**
 * What a share field's text is in per cent ("= 0.14%" for "0.0014"), to two decimals at most;
 * empty when the text is not a share (the field's error line says why).
 */
export function shareEcho(text) {
  const v = Number(String(text).trim());
  if (String(text).trim() === "" || !Number.isFinite(v) || v < 0 || v > 1) return "";
  return `= ${fmtPct(v, 2, { trim: true })}`;
}

/** The id of a feature's input (its label and error line refer to it). */
const fieldId = (name) => `sw-${name}`;

const SVG = "http://www.w3.org/2000/svg";
const escapeXml = (v) =>
  String(v).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );

// ---------------------------------------------------------------------------------------------
// The result: probabilities and the score scale, as plain HTML

/**
 * The probability of each level as labelled bars (highest level first), the predicted level
 * marked.
 *
 * @param {Record<string, number>} probabilities by level name
 * @param {string[]} levels level names, lowest first
 * @param {string} predicted the predicted level
 */
export function probabilityBars(probabilities, levels, predicted) {
  const colors = levelColors(levels.length);
  const rows = levels.map((level, i) => ({ level, p: probabilities[level] ?? 0, color: colors[i] }))
    .reverse();
  const box = document.createElement("div");
  box.className = "sw-bars";
  box.setAttribute("role", "list");
  box.setAttribute("aria-label", "Probability of each level");
  box.innerHTML = rows.map((r) =>
    `<span role="listitem" aria-label="${escapeXml(r.level)}: ${fmtPct(r.p, 0)}">${
      r.level === predicted ? `<b>▶ ${escapeXml(r.level)}</b>` : escapeXml(r.level)
    }</span><span class="track" aria-hidden="true"><span class="fill" style="width:${
      (r.p * 100).toFixed(2)
    }%;background:${r.color}"></span></span><span class="pct" aria-hidden="true">${
      fmtPct(r.p, 0)
    }</span>`
  ).join("");
  return box;
}

/**
 * The score scale with its bands (worst on the left, best on the right) and a marker at the
 * score.
 *
 * @param {number} score
 * @param {{min: number, max: number, bands: {name: string, minScore: number, maxScore: number}[]}} scale
 */
export function scoreScale(score, scale) {
  const colors = bandColors(scale.bands.length);
  const bands = scale.bands.map((b, i) => ({ ...b, color: colors[i] })).reverse();
  const at = (x) => ((x - scale.min) / (scale.max - scale.min)) * 100;
  const box = document.createElement("div");
  box.className = "sw-scale";
  box.setAttribute("role", "img");
  box.setAttribute(
    "aria-label",
    `Score ${fmtInt(score)} on a scale from ${fmtInt(scale.min)} to ${fmtInt(scale.max)}`,
  );
  const ticks = [scale.min, ...bands.slice(1).map((b) => b.minScore), scale.max];
  box.innerHTML =
    bands.map((b) =>
      `<span class="seg" style="flex:${b.maxScore - b.minScore};background:${b.color};color:${
        inkOn(b.color)
      }">${escapeXml(b.name)}</span>`
    ).join("") +
    // The end labels sit inside the scale (a centred "850" would overflow a phone's edge).
    ticks.map((t, i) =>
      `<span class="tick${
        i === 0 ? " first" : i === ticks.length - 1 ? " last" : ""
      }" style="left:${at(t)}%">${fmtInt(Math.ceil(t))}</span>`
    ).join("") +
    `<span class="marker" style="left:${at(score)}%">▼ ${fmtInt(score)}</span>`;
  return box;
}

// ---------------------------------------------------------------------------------------------
// The neighbour chart: training customers on a canvas, neighbours and axes in SVG

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

/** The extent of one column of the training points (cached per model and column). */
const extents = new WeakMap();
function extent(model, j) {
  let byColumn = extents.get(model);
  if (!byColumn) extents.set(model, byColumn = new Map());
  if (!byColumn.has(j)) {
    let lo = Infinity, hi = -Infinity;
    for (const p of model.knn.points) {
      if (p[j] < lo) lo = p[j];
      if (p[j] > hi) hi = p[j];
    }
    byColumn.set(j, [lo, hi]);
  }
  return byColumn.get(j);
}

/** The scales of the neighbour chart: pixel position of a model-scale value on each axis. */
function neighbourScales(model, xf, yf, { width, height, currency }) {
  const jx = model.features.indexOf(xf);
  const jy = model.features.indexOf(yf);
  const pad = ([a, b]) => [a - (b - a) * 0.04, b + (b - a) * 0.04];
  const m = { left: 58, right: 14, top: 24, bottom: 44 };
  const xPx = width - m.left - m.right;
  const yPx = height - m.top - m.bottom;
  const x = modelScaleAxis(model, xf, pad(extent(model, jx)), xPx, currency);
  const y = modelScaleAxis(model, yf, pad(extent(model, jy)), yPx, currency);
  const sx = (v) => m.left + ((v - x.domain[0]) / (x.domain[1] - x.domain[0])) * xPx;
  const sy = (v) => m.top + (1 - (v - y.domain[0]) / (y.domain[1] - y.domain[0])) * yPx;
  const clampX = (v) => Math.max(m.left, Math.min(width - m.right, sx(v)));
  const clampY = (v) => Math.max(m.top, Math.min(height - m.bottom, sy(v)));
  return { jx, jy, x, y, sx, sy, clampX, clampY, m, width, height };
}

/**
 * The training customers as a light scatter on a canvas (one draw for all of them, however
 * many), coloured by the level they reached, with the grid.
 */
function drawBackground(canvas, model, s) {
  const ratio = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(s.width * ratio);
  canvas.height = Math.round(s.height * ratio);
  canvas.style.width = `${s.width}px`;
  canvas.style.height = `${s.height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, s.width, s.height);
  const style = getComputedStyle(canvas);
  ctx.strokeStyle = style.getPropertyValue("--theme-foreground-faintest").trim() || "#e0e0e0";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const t of s.x.ticks) {
    const px = Math.round(s.sx(t)) + 0.5;
    ctx.moveTo(px, s.m.top);
    ctx.lineTo(px, s.height - s.m.bottom);
  }
  for (const t of s.y.ticks) {
    const py = Math.round(s.sy(t)) + 0.5;
    ctx.moveTo(s.m.left, py);
    ctx.lineTo(s.width - s.m.right, py);
  }
  ctx.stroke();
  const colors = levelColors(model.levels.length);
  const points = model.knn.points;
  const labels = model.knn.labels;
  ctx.globalAlpha = 0.35;
  for (let level = 0; level < colors.length; level++) {
    ctx.fillStyle = colors[level];
    ctx.beginPath();
    for (let i = 0; i < points.length; i++) {
      if (labels[i] !== level) continue;
      const px = s.sx(points[i][s.jx]);
      const py = s.sy(points[i][s.jy]);
      ctx.moveTo(px + 1.8, py);
      ctx.arc(px, py, 1.8, 0, 2 * Math.PI);
    }
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

/** The axes of the neighbour chart (ticks, labels) as SVG markup. */
function axesMarkup(s) {
  const bottom = s.height - s.m.bottom;
  const xt = s.x.ticks.map((t) =>
    `<g transform="translate(${
      s.sx(t)
    },${bottom})"><line y2="5" stroke="currentColor"/><text y="17" text-anchor="middle">${
      escapeXml(s.x.tickFormat(t))
    }</text></g>`
  ).join("");
  const yt = s.y.ticks.map((t) =>
    `<g transform="translate(${s.m.left},${
      s.sy(t)
    })"><line x2="-5" stroke="currentColor"/><text x="-8" dy="0.32em" text-anchor="end">${
      escapeXml(s.y.tickFormat(t))
    }</text></g>`
  ).join("");
  return `<g font-size="10" fill="currentColor">${xt}${yt}` +
    `<line x1="${s.m.left}" x2="${
      s.width - s.m.right
    }" y1="${bottom}" y2="${bottom}" stroke="currentColor"/>` +
    `<line x1="${s.m.left}" x2="${s.m.left}" y1="${s.m.top}" y2="${bottom}" stroke="currentColor"/>` +
    `<text x="${s.width - s.m.right}" y="${s.height - 6}" text-anchor="end" font-size="11">${
      escapeXml(s.x.label)
    } →</text>` +
    `<text x="4" y="12" font-size="11">↑ ${escapeXml(s.y.label)}</text></g>`;
}

/** The query point and its nearest neighbours as SVG markup (points beyond the axes on the edge). */
function neighboursMarkup(model, s, query, neighbours) {
  const colors = levelColors(model.levels.length);
  const qx = s.clampX(query[s.jx]);
  const qy = s.clampY(query[s.jy]);
  const links = [];
  const dots = [];
  for (const n of neighbours) {
    const p = model.knn.points[n.index];
    if (!p) continue;
    const x = s.clampX(p[s.jx]);
    const y = s.clampY(p[s.jy]);
    links.push(`M${qx},${qy}L${x},${y}`);
    dots.push(
      `<circle cx="${x}" cy="${y}" r="5" fill="${
        colors[model.levels.indexOf(n.level)]
      }" stroke="currentColor"><title>customer ${escapeXml(n.customer_id)}: ${
        escapeXml(n.level)
      }, distance ${fmtNum(n.distance, 2)}</title></circle>`,
    );
  }
  return `<path d="${links.join("")}" stroke="currentColor" stroke-opacity="0.35" fill="none"/>` +
    dots.join("") +
    `<text x="${qx}" y="${qy}" dy="0.35em" text-anchor="middle" font-size="22" fill="currentColor" stroke="var(--theme-background)" stroke-width="1.5" paint-order="stroke">★</text>`;
}

// ---------------------------------------------------------------------------------------------
// The widget's parts

/** What the widget needs to know about the model: features, levels and colours, window length. */
function widgetModel(model, rfm) {
  const features = model.features;
  const rfmFeatures = ["recency_days", "frequency", "monetary"].every((f) => features.includes(f));
  const revenue = featureList(["monetary"]);
  const invoices = featureText("frequency").unit;
  return {
    model,
    features,
    levels: model.levels,
    colors: levelColors(model.levels.length),
    windowDays: daysBetween(model.cutoff, model.windowEnd),
    horizon: horizonPhrase(daysBetween(model.cutoff, model.windowEnd)),
    // The average order value can be derived from net revenue and invoices (src/score.ts' rule).
    derivable: ["avg_order_value", "monetary", "frequency"].every((f) => features.includes(f)),
    deriveRule: `${revenue} ÷ ${invoices}`,
    deriveNeeds: `needs valid ${revenue} and ${invoices}`,
    rowOfId: new Map(model.customerIds.map((id, i) => [id, i])), // training row of each id
    // The segment (and action) of typed figures needs the RFM metrics among the fields.
    rfm: rfmFeatures && rfm?.thresholds ? rfm : null,
    rules: new Map((rfm?.segmentRules ?? []).map((r) => [r.name, r])),
  };
}

/** One field per model feature (label and unit, input, error line), the derive toggle beside the average order value. */
function featureFields(m, currency) {
  const inputs = {};
  const errors = {};
  const echoes = {};
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
    if (isShare(f)) echoes[f] = html`<div class="sw-echo muted" data-field=${f}></div>`;
    return html`<div class="sw-field">
      <label for=${fieldId(f)}>${label} <span class="muted">${
      unit ? `(${unit})` : ""
    }</span></label>
      ${inputs[f]}
      ${echoes[f] ?? null}
      ${f === "avg_order_value" ? derive : null}
      ${errors[f]}
    </div>`;
  });
  return { rows, inputs, errors, echoes, deriveBox: derive?.querySelector("input") ?? null };
}

/** The "start from an existing customer" controls: id search with suggestions, examples, note. */
function customerPicker(examples) {
  const search = html`
    <input type="search" name="customer" id="sw-customer" list="sw-customer-ids"
      placeholder="Type a customer id…" autocomplete="off" spellcheck="false">
  `;
  const datalist = html`<datalist id="sw-customer-ids"></datalist>`;
  const exampleSelect = html`<select name="example" id="sw-example">
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
    <h2 class="sw-heading">Start from an existing customer</h2>
    <div class="sw-pick">
      <label for="sw-customer">Customer id</label>${picker.search}${picker.datalist}
      <label for="sw-example">or an example customer</label>${picker.exampleSelect}
    </div>
    ${picker.note}
    <h2 class="sw-heading">… or enter the customer's figures</h2>
    ${fields.rows}
  </form>`;
}

/** The result panel: headline, score scale, probabilities, votes, range note and timing. */
function resultPanel(m) {
  const parts = {
    headline: html`<div class="sw-headline" aria-live="polite"></div>`,
    action: html`<div class="sw-action-box" aria-live="polite"></div>`,
    scaleBox: html`<div class="sw-chart"></div>`,
    probBox: html`<div class="sw-chart"></div>`,
    reasons: html`<div class="sw-reasons-box"></div>`,
    votes: html`<p class="sw-votes"></p>`,
    warning: html`<div class="sw-warning" aria-live="polite"></div>`,
    timing: html`<div class="sw-timing muted"></div>`,
  };
  const element = html`<div class="sw-result">
    <h2 class="sw-heading">Prediction for ${m.horizon}</h2>
    ${parts.headline}${parts.action}${parts.scaleBox}${parts.probBox}${parts.reasons}${parts.votes}${parts.warning}${parts.timing}
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
        <div class="sw-value"><i class="sw-dot" style=${{
          background: m.colors[r.levelIndex],
        }}></i>${r.level}</div>
      </div>
      <div>
        <div class="sw-label">Score</div>
        <div class="sw-value">${fmtInt(r.score)}</div>
      </div>
      <div>
        <div class="sw-label">Band</div>
        <div class="sw-value"><span class="sw-band" style=${{
          background: bandColors(bands.length)[band],
          color: inkOn(bandColors(bands.length)[band]),
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
  // A neighbour point can stand for several training customers with the same figures; the
  // scoring module lists the nearest few of the customers that vote (`voters`).
  const many = (n) => n.customers ?? 1;
  const counts = m.levels.map((l) =>
    r.neighbours.filter((n) => n.level === l).reduce((s, n) => s + many(n), 0)
  );
  const listed = r.neighbours.reduce((s, n) => s + many(n), 0);
  const voters = r.voters ?? listed;
  const levels = m.levels.map((l, i) => `${counts[i]} ${l}`).join(", ").replace(
    /, ([^,]*)$/,
    " and $1",
  );
  const how = m.model.knn.weighting === "uniform" ? "" : ", the nearer ones counting more";
  const when = `in the ${fmtInt(m.windowDays)} days after the cutoff`;
  return voters > listed
    ? `The probabilities are the votes of the ${
      fmtInt(voters)
    } most similar training customers${how}. Of the ${listed} nearest (ringed in the chart), ${levels} ${when}.`
    : `Of the ${listed} most similar training customers, ${levels} ${when}${
      how ? ` (${how.slice(2)})` : ""
    }: hence the probabilities.`;
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
  const canvas = document.createElement("canvas");
  canvas.setAttribute("aria-hidden", "true");
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("aria-hidden", "true");
  svg.innerHTML = `<g class="sw-axes-g"></g><g class="sw-nb-g"></g>`;
  const layers = html`<div class="sw-layers" role="img"></div>`;
  layers.append(canvas, svg);
  const table = html`<div class="table-scroll"></div>`;
  const summary = html`<summary></summary>`;
  const details = html`<details>${summary}${table}</details>`;
  const element = html`<div class="sw-neighbours">
    <h2 class="sw-heading">The most similar training customers</h2>
    <p class="muted sw-axes">Nearness is measured on all ${m.features.length} features; the chart shows two of them: <label>x ${xSelect}</label> <label>y ${ySelect}</label></p>
    ${neighbourLegend(m)}
    ${layers}
    ${details}
  </div>`;
  return { element, xSelect, ySelect, layers, canvas, svg, table, summary, details };
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
  const points = r.neighbours.length;
  const customers = r.neighbours.reduce((s, n) => s + (n.customers ?? 1), 0);
  summary.textContent = `Show the nearest training customers as a table (${
    points === customers ? `${points}` : `${points} distinct figures for ${customers} customers`
  }: their figures at the cutoff, and the level they reached)`;
  if (!details.open || state.tableFor === r) return;
  state.tableFor = r;
  table.replaceChildren(neighbourTable(r, m, currency));
}

/**
 * The result's bars and scale, and the neighbour chart: its canvas (every training customer)
 * redrawn only when the width or the axes change, its neighbours (SVG) on every update.
 */
function drawCharts(ui, state, m, currency) {
  const r = state.result;
  const { full } = state.widths;
  const { scaleBox, probBox } = ui.result;
  const { layers, canvas, svg } = ui.neighbours;
  if (!r || !r.ok) {
    scaleBox.replaceChildren();
    probBox.replaceChildren();
    svg.querySelector(".sw-nb-g").innerHTML = "";
    return;
  }
  scaleBox.replaceChildren(scoreScale(r.score, m.model.score));
  probBox.replaceChildren(probabilityBars(r.probabilities, m.levels, r.level));
  if (!full) return;
  const height = Math.round(Math.min(440, Math.max(300, full * 0.5)));
  const key = `${full}:${state.axes.x}:${state.axes.y}`;
  if (layers.dataset.key !== key) {
    const s = neighbourScales(m.model, state.axes.x, state.axes.y, {
      width: full,
      height,
      currency,
    });
    state.scales = s;
    layers.style.height = `${height}px`;
    drawBackground(canvas, m.model, s);
    svg.setAttribute("width", full);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", `0 0 ${full} ${height}`);
    svg.querySelector(".sw-axes-g").innerHTML = axesMarkup(s);
    layers.setAttribute(
      "aria-label",
      `Scatter of the ${
        fmtInt(m.model.knn.points.length)
      } training customers by ${s.x.label.toLowerCase()} and ${s.y.label.toLowerCase()}, coloured by the level they reached; a star marks this ` +
        `customer and ringed dots its nearest neighbours.`,
    );
    layers.dataset.key = key;
  }
  svg.querySelector(".sw-nb-g").innerHTML = neighboursMarkup(
    m.model,
    state.scales,
    state.query,
    r.neighbourRows,
  );
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
  const ctx = [c.rfm_segment, c.country].filter((x) => x).join(" · ");
  const table = c.score != null
    ? ` In the customer table: score ${fmtInt(c.score)}, band ${c.band ?? "?"}.`
    : "";
  return edited
    ? `Started from customer ${c.customer_id}; the figures have been edited.`
    : `Customer ${c.customer_id}${ctx ? ` — ${ctx}` : ""}: current figures.${table}`;
}

// ---------------------------------------------------------------------------------------------
// Showing a result

/**
 * The recommended action: the action of the RFM segment the figures fall in (the build's
 * thresholds, rules and guards), or, for a picked customer whose figures are unchanged, of the
 * segment in the customer table; null when the model's fields do not give recency, frequency
 * and net revenue.
 */
function actionFor(state, m, values, r) {
  const c = state.picked;
  const edited = m.features.some((f) => {
    const ex = state.exact[f];
    return ex && state.fieldText?.[f] !== ex.text;
  });
  if (c?.rfm_segment && !edited && m.rules.has(c.rfm_segment)) {
    return { segment: m.rules.get(c.rfm_segment), from: "table" };
  }
  const s = m.rfm ? segmentForFigures(values, m.rfm) : null;
  if (s) return { segment: s.segment, from: "figures" };
  // No segment from these figures: the action for the predicted outlook.
  const o = r?.ok ? outlookAction(r.level, m.levels) : null;
  return o ? { outlook: o, from: "outlook" } : null;
}

/** The action box: what to do with this customer, and why (the segment). */
function actionNote(a) {
  if (!a) return "";
  if (a.outlook) {
    return html`
      <p
        class="sw-action"><b>Recommended action:</b> ${a.outlook
          .action}. <span class="muted">(For a customer predicted “${a.outlook
          .level}”; pick a customer to see the action of their RFM segment.)</span></p>
    `;
  }
  return html`
    <p
      class="sw-action"><b>Recommended action:</b> ${a.segment
        .action}. <span class="muted">(RFM segment “${a.segment.name}”: ${a.segment.description
        .charAt(0).toLowerCase()}${a.segment.description.slice(1)}.)</span></p>
  `;
}

/** The reason codes as a list: what raises and what lowers this customer's score. */
function reasonList(reasons) {
  if (!reasons.length) {
    return html`
      <p
        class="muted sw-reasons-none">No single figure moves this score much: the customer is close to a typical one.</p>
    `;
  }
  return html`<div><b>Why this score</b> (against a typical training customer):<ul class="sw-reasons">${
    reasons.map((r) =>
      html`<li><span class=${r.direction === "raises" ? "up" : "down"} aria-hidden="true">${
        r.direction === "raises" ? "▲" : "▼"
      }</span>${r.direction === "raises" ? "Raises" : "Lowers"} the score by ${
        fmtInt(Math.abs(r.effect))
      } points: ${r.text}</li>`
    )
  }</ul></div>`;
}

/** Shows a valid result: headline, votes, range note; keeps the query and neighbour rows. */
function showResult(ui, state, m, r, raw) {
  state.fieldText = Object.fromEntries(m.features.map((f) => [f, ui.fields.inputs[f].value]));
  const values = {};
  for (const f of m.features) {
    values[f] = f in raw ? Number(raw[f]) : Number(raw.monetary) / Number(raw.frequency);
  }
  state.query = m.features.map((f) => toModelScale(m.model.scaler, f, values[f]));
  r.neighbourRows = r.neighbours.map((n) => ({ ...n, index: m.rowOfId.get(n.customer_id) }));
  ui.result.headline.replaceChildren(headlineOk(r, m));
  ui.result.action.replaceChildren(actionNote(actionFor(state, m, values, r)));
  ui.result.votes.textContent = votesSentence(r, m);
  ui.result.warning.replaceChildren(rangeNote(outOfRange(m.model.scaler, values)));
}

/** Shows an invalid input: no score, the count of fields that need attention. */
function showInvalid(ui, state, r) {
  state.query = null;
  ui.result.votes.textContent = "";
  ui.result.action.replaceChildren();
  ui.result.reasons.replaceChildren();
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

/** The customer list (the columns of score-customers.arrow) with its ids and an id index. */
function customerList(table) {
  const ids = Array.from(table.columns.customer_id, String);
  return { table, ids, index: new Map(ids.map((id, i) => [id, i])) };
}

/** One customer of the list, as the fields take it (average order value = revenue / invoices). */
function customerAt(list, i) {
  const cols = list.table.columns;
  const row = Object.fromEntries(
    Object.keys(cols).map((
      k,
    ) => [k, typeof cols[k][i] === "bigint" ? Number(cols[k][i]) : cols[k][i]]),
  );
  row.customer_id = list.ids[i];
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
    if (full && full !== state.widths.full) {
      state.widths = { full };
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
 * @param {() => Promise<{rows: number, columns: Record<string, ArrayLike<any>>}>} args.loadCustomers reads score-customers.arrow (called on first use)
 * @param {string} args.currency the dataset's currency
 * @param {object} [args.rfm] the build's RFM summary (rfm.json: thresholds, segment rules, guards)
 * @returns {HTMLElement}
 */
export function scoreWidget({ model, scoreCustomer, examples = [], loadCustomers, currency, rfm }) {
  const m = widgetModel(model, rfm);
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
    widths: { full: 0 },
    scales: null,
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
    for (const [f, echo] of Object.entries(ui.fields.echoes)) {
      echo.textContent = shareEcho(ui.fields.inputs[f].value);
    }
    const raw = readInputs(ui.fields, state, m);
    const r = scoreCustomer(model, raw);
    showFieldErrors(ui.fields, m, r.ok ? {} : plainMessagesByField(r.errors));
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
    scheduleReasons(raw, r);
  }

  /**
   * The reason codes, a frame after the result (they score the customer once per feature): the
   * result is never held up by them, and a newer input cancels a pending computation.
   */
  let pending = 0;
  function scheduleReasons(raw, r) {
    const ticket = ++pending;
    if (!r.ok) return;
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (ticket !== pending) return;
        const reasons = explainScore(model, raw, { currency });
        ui.result.reasons.replaceChildren(reasonList(reasons));
        root.dataset.reasons = JSON.stringify(reasons.map((x) => x.text));
      }, 0)
    );
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
