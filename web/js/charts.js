// Small charts drawn as inline SVG (no library, no network). Each chart is a <figure> with
// a caption, an SVG with a text alternative, a legend in HTML, and a <title> per mark for
// hover. The same numbers are also in the dashboard's data tables.

import { h, svg } from "./dom.js";

const WIDTH = 520;
const HEIGHT = 250;
const MARGIN = { top: 12, right: 16, bottom: 34, left: 56 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

/** A round upper bound for the y axis, and 4 ticks up to it. */
function scaleMax(max) {
  if (!(max > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude * 4 >= max) * magnitude;
  return step * 4;
}

function frame(labels, yMax, yFormat, ariaLabel) {
  const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": ariaLabel });
  const grid = svg("g", { class: "axis" });
  for (let i = 0; i <= 4; i += 1) {
    const value = (yMax / 4) * i;
    const y = MARGIN.top + PLOT_H - (PLOT_H * i) / 4;
    grid.append(
      svg("line", { class: i === 0 ? "axis-line" : "grid", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y, y2: y }),
      svg("text", { x: MARGIN.left - 6, y: y + 4, "text-anchor": "end" }, yFormat(value)),
    );
  }
  const every = Math.max(1, Math.ceil(labels.length / 7));
  labels.forEach((label, i) => {
    const last = i === labels.length - 1;
    // Every few days, and the last day unless it would touch the previous label.
    if (last ? i % every !== 0 && i % every < every / 2 : i % every !== 0) return;
    grid.append(svg("text", { x: xCenter(i, labels.length), y: HEIGHT - 10, "text-anchor": "middle" }, label.slice(5)));
  });
  root.append(grid);
  return root;
}

function xCenter(index, count) {
  return MARGIN.left + (PLOT_W / count) * (index + 0.5);
}

function yOf(value, yMax) {
  return MARGIN.top + PLOT_H - (PLOT_H * value) / yMax;
}

function legend(series) {
  return h(
    "ul",
    { class: "legend-list" },
    series.map((s, i) => h("li", {}, h("span", { class: `swatch series-${s.color || i + 1}`, "aria-hidden": "true" }), s.label)),
  );
}

function figure(title, summary, chart, series) {
  return h("figure", { class: "chart" }, h("figcaption", {}, title), chart, series.length > 1 ? legend(series) : null, h("p", { class: "visually-hidden" }, summary));
}

/**
 * Bars per day; several series are stacked. labels: ["2026-11-20", ...];
 * series: [{label, values: [number|null], color}]; yFormat: number -> text.
 */
export function barChart({ title, labels, series, yFormat = (v) => String(Math.round(v)), summary = "" }) {
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  const yMax = scaleMax(Math.max(0, ...totals));
  const root = frame(labels, yMax, yFormat, `${title}. ${summary}`);
  const barWidth = Math.max(2, (PLOT_W / labels.length) * 0.7);
  labels.forEach((label, i) => {
    let base = 0;
    series.forEach((s, k) => {
      const value = s.values[i];
      if (!value) return;
      const top = yOf(base + value, yMax);
      const rect = svg("rect", {
        class: `series-${s.color || k + 1}`,
        x: xCenter(i, labels.length) - barWidth / 2,
        y: top,
        width: barWidth,
        height: Math.max(0.5, yOf(base, yMax) - top),
      });
      rect.append(svg("title", {}, `${label}: ${yFormat(value)} ${s.label.toLowerCase()}`));
      root.append(rect);
      base += value;
    });
  });
  return figure(title, summary, root, series);
}

/** Lines per day; null values leave a gap. Same arguments as barChart, plus yMax. */
export function lineChart({ title, labels, series, yFormat = (v) => String(v), yMax, summary = "" }) {
  const values = series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined));
  const top = yMax ?? scaleMax(Math.max(0, ...values));
  const root = frame(labels, top, yFormat, `${title}. ${summary}`);
  series.forEach((s, k) => {
    const color = `series-${s.color || k + 1}`;
    let d = "";
    let drawing = false;
    s.values.forEach((value, i) => {
      if (value === null || value === undefined) {
        drawing = false;
        return;
      }
      d += `${drawing ? "L" : "M"}${xCenter(i, labels.length).toFixed(1)},${yOf(value, top).toFixed(1)}`;
      drawing = true;
      const dot = svg("circle", { class: color, cx: xCenter(i, labels.length), cy: yOf(value, top), r: 3.5 });
      dot.append(svg("title", {}, `${labels[i]}: ${yFormat(value)} ${s.label.toLowerCase()}`));
      root.append(dot);
    });
    if (d) root.insertBefore(svg("path", { class: `line ${color}`, d }), root.children[1] || null);
  });
  return figure(title, summary, root, series);
}

const SPARK_W = 120;
const SPARK_H = 28;

/**
 * A sparkline-sized bar chart for a table cell: one bar per day, no axes. The text
 * alternative (aria-label) carries the total and the busiest day, since a table row of
 * them is read out one cell at a time; each bar has a <title> for hover.
 * labels: ["2026-11-20", ...]; values: [number|null]; yFormat: number -> text.
 */
export function sparkline({ title, labels, values, color = 1, yFormat = (v) => String(Math.round(v)) }) {
  const max = Math.max(0, ...values.map((v) => v || 0));
  const total = values.reduce((sum, v) => sum + (v || 0), 0);
  const peak = values.findIndex((v) => (v || 0) === max);
  const text = max > 0 ? `${title}: ${yFormat(total)} in total, at most ${yFormat(max)} on ${labels[peak]}.` : `${title}: none.`;
  const root = svg("svg", { class: "sparkline", viewBox: `0 0 ${SPARK_W} ${SPARK_H}`, role: "img", "aria-label": text });
  const step = SPARK_W / Math.max(1, labels.length);
  root.append(svg("line", { class: "axis-line", x1: 0, x2: SPARK_W, y1: SPARK_H - 0.5, y2: SPARK_H - 0.5 }));
  labels.forEach((label, i) => {
    const value = values[i] || 0;
    if (!value) return;
    const height = Math.max(1, ((SPARK_H - 2) * value) / max);
    const rect = svg("rect", { class: `series-${color}`, x: i * step + step * 0.15, y: SPARK_H - 1 - height, width: Math.max(1, step * 0.7), height });
    rect.append(svg("title", {}, `${label}: ${yFormat(value)}`));
    root.append(rect);
  });
  return root;
}
