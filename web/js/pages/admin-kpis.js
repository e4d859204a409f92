// Admin: the KPI dashboard (GET /admin/kpis) and KPI backfill runs (POST /admin/kpis/run).

import { api, query } from "../api.js";
import { barChart, lineChart } from "../charts.js";
import { errorBox, field, h } from "../dom.js";
import { formatMoney, formatPercent, formatSeconds } from "../format.js";
import { daysBetween, sum } from "../series.js";

const RUN_POLL_MS = 2000;
const FINAL_RUN_STATES = new Set(["SUCCESS", "FAILED", "CANCELLED"]);

/** success rate over several rows: succeeded / finished. */
function rate(rows) {
  const finished = sum(rows, "jobs_succeeded") + sum(rows, "jobs_failed") + sum(rows, "jobs_cancelled");
  return finished ? sum(rows, "jobs_succeeded") / finished : null;
}

/** The per-model rows of every day, added up per model. */
function perModel(models) {
  const groups = new Map();
  for (const row of models) {
    if (!groups.has(row.model)) groups.set(row.model, []);
    groups.get(row.model).push(row);
  }
  return [...groups.entries()]
    .map(([model, rows]) => {
      const succeeded = sum(rows, "jobs_succeeded");
      const weighted = rows.reduce((t, r) => t + (r.avg_duration_seconds ?? 0) * r.jobs_succeeded, 0);
      return {
        model,
        jobs_total: sum(rows, "jobs_total"),
        jobs_succeeded: succeeded,
        jobs_failed: sum(rows, "jobs_failed"),
        jobs_cancelled: sum(rows, "jobs_cancelled"),
        success_rate: rate(rows),
        avg_duration_seconds: succeeded ? weighted / succeeded : null,
        p95_duration_seconds: Math.max(...rows.map((r) => r.p95_duration_seconds ?? -Infinity)),
        cost_usd: sum(rows, "cost_usd"),
      };
    })
    .sort((a, b) => b.jobs_total - a.jobs_total);
}

function tile(label, value) {
  return h("div", { class: "tile" }, h("p", { class: "label" }, label), h("p", { class: "value" }, value));
}

function table(caption, columns, rows) {
  return h(
    "div",
    { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
      h(
        "tbody",
        {},
        rows.map((row) => h("tr", {}, columns.map((c, i) => h(i === 0 ? "th" : "td", { scope: i === 0 ? "row" : null, class: c.num ? "num" : null }, c.show(row))))),
      ),
    ),
  );
}

function dashboard(report, modelTitle) {
  const labels = daysBetween(report.from, report.to);
  const byDay = new Map(report.days.map((d) => [d.job_date, d]));
  const column = (key) => labels.map((day) => (byDay.has(day) ? byDay.get(day)[key] : null));
  const rows = report.days;
  if (!rows.length) {
    return h("p", { class: "empty" }, "No KPIs for this range yet: start a backfill below (or run `make kpis`).");
  }
  const latest = [...rows].reverse().find((r) => r.p50_duration_seconds !== null) || {};
  const count = (v) => String(Math.round(v));
  const seconds = (v) => `${Math.round(v)} s`;

  const models = perModel(report.models);
  return h(
    "div",
    { class: "dashboard" },
    h(
      "div",
      { class: "tiles" },
      tile("Jobs", String(sum(rows, "jobs_total"))),
      tile("Succeeded", String(sum(rows, "jobs_succeeded"))),
      tile("Failed", String(sum(rows, "jobs_failed"))),
      tile("Success rate", formatPercent(rate(rows))),
      tile("Active users (busiest day)", String(Math.max(...rows.map((r) => r.active_users)))),
      tile("p50 / p95 (latest day)", `${formatSeconds(latest.p50_duration_seconds)} / ${formatSeconds(latest.p95_duration_seconds)}`),
      tile("Cost", formatMoney(sum(rows, "cost_usd"))),
    ),
    h(
      "div",
      { class: "charts" },
      barChart({
        title: "Jobs per day",
        labels,
        series: [
          { label: "Succeeded", values: column("jobs_succeeded"), color: 1 },
          { label: "Failed", values: column("jobs_failed"), color: 2 },
          { label: "Cancelled", values: column("jobs_cancelled"), color: 3 },
        ],
        yFormat: count,
        summary: `${sum(rows, "jobs_succeeded")} succeeded, ${sum(rows, "jobs_failed")} failed.`,
      }),
      lineChart({
        title: "Success rate",
        labels,
        series: [{ label: "Success rate", values: column("success_rate"), color: 1 }],
        yMax: 1,
        yFormat: (v) => `${Math.round(v * 100)} %`,
        summary: `Over the range: ${formatPercent(rate(rows))}.`,
      }),
      barChart({
        title: "Active users",
        labels,
        series: [{ label: "Active users", values: column("active_users"), color: 4 }],
        yFormat: count,
        summary: `At most ${Math.max(...rows.map((r) => r.active_users))} on one day.`,
      }),
      lineChart({
        title: "Duration (completed jobs)",
        labels,
        series: [
          { label: "p50", values: column("p50_duration_seconds"), color: 4 },
          { label: "p95", values: column("p95_duration_seconds"), color: 5 },
        ],
        yFormat: seconds,
        summary: `Latest day: p50 ${formatSeconds(latest.p50_duration_seconds)}, p95 ${formatSeconds(latest.p95_duration_seconds)}.`,
      }),
      barChart({
        title: "Cost per day (USD)",
        labels,
        series: [{ label: "Cost", values: column("cost_usd"), color: 5 }],
        yFormat: (v) => `$${v.toFixed(v < 10 ? 2 : 0)}`,
        summary: `Total ${formatMoney(sum(rows, "cost_usd"))}.`,
      }),
    ),
    h("h2", { class: "section-title" }, "Per model"),
    table(
      "Per model over the range",
      [
        { label: "Model", show: (r) => modelTitle(r.model) },
        { label: "Jobs", num: true, show: (r) => String(r.jobs_total) },
        { label: "Succeeded", num: true, show: (r) => String(r.jobs_succeeded) },
        { label: "Failed", num: true, show: (r) => String(r.jobs_failed) },
        { label: "Cancelled", num: true, show: (r) => String(r.jobs_cancelled) },
        { label: "Success rate", num: true, show: (r) => formatPercent(r.success_rate) },
        { label: "Avg duration", num: true, show: (r) => formatSeconds(r.avg_duration_seconds) },
        { label: "Worst p95", num: true, show: (r) => (r.p95_duration_seconds > -Infinity ? formatSeconds(r.p95_duration_seconds) : "—") },
        { label: "Cost", num: true, show: (r) => formatMoney(r.cost_usd) },
      ],
      models,
    ),
    h(
      "details",
      { class: "data" },
      h("summary", {}, "Daily numbers as a table"),
      table(
        "KPIs per day",
        [
          { label: "Day", show: (r) => r.job_date },
          { label: "Jobs", num: true, show: (r) => String(r.jobs_total) },
          { label: "Succeeded", num: true, show: (r) => String(r.jobs_succeeded) },
          { label: "Failed", num: true, show: (r) => String(r.jobs_failed) },
          { label: "Cancelled", num: true, show: (r) => String(r.jobs_cancelled) },
          { label: "Active users", num: true, show: (r) => String(r.active_users) },
          { label: "Success rate", num: true, show: (r) => formatPercent(r.success_rate) },
          { label: "p50", num: true, show: (r) => formatSeconds(r.p50_duration_seconds) },
          { label: "p95", num: true, show: (r) => formatSeconds(r.p95_duration_seconds) },
          { label: "Cost", num: true, show: (r) => formatMoney(r.cost_usd) },
        ],
        rows,
      ),
    ),
  );
}

function backfillForm(ctx, report, onDone) {
  const from = h("input", { type: "date", name: "from", value: report.from, max: report.to, required: true });
  const to = h("input", { type: "date", name: "to", value: report.to, max: report.to, required: true });
  const error = errorBox();
  const state = h("p", { class: "run-state", role: "status" });
  const submit = h("button", { type: "submit" }, "Start KPI backfill");
  let timer = null;
  ctx.onLeave(() => clearTimeout(timer));

  async function follow(runId) {
    try {
      const run = await api("GET", `/admin/kpis/runs/${encodeURIComponent(runId)}`);
      state.textContent = `Run ${run.run_id}: ${run.state}${run.detail ? ` (${run.detail})` : ""}`;
      if (FINAL_RUN_STATES.has(run.state)) {
        submit.disabled = false;
        ctx.announce(`KPI backfill ${run.state.toLowerCase()}`);
        if (run.state === "SUCCESS") onDone();
        return;
      }
    } catch (e) {
      state.textContent = `Run ${runId}: cannot read its state (${e.message})`;
    }
    timer = setTimeout(() => follow(runId), RUN_POLL_MS);
  }

  async function onSubmit(event) {
    event.preventDefault();
    error.show("");
    submit.disabled = true;
    try {
      const run = await api("POST", "/admin/kpis/run", { body: { from: from.value, to: to.value } });
      state.textContent = `Run ${run.run_id}: ${run.state}`;
      ctx.announce("KPI backfill started");
      timer = setTimeout(() => follow(run.run_id), RUN_POLL_MS);
    } catch (e) {
      error.show(e.message);
      submit.disabled = false;
    }
  }

  return h(
    "form",
    { class: "backfill", onsubmit: onSubmit },
    h("h2", {}, "Recompute KPIs (backfill)"),
    h("p", { class: "hint" }, "Runs the KPI job for these days again; the nightly run covers yesterday and today."),
    error,
    h("div", { class: "toolbar" }, field("First day", from), field("Last day", to), submit),
    state,
  );
}

export async function render(ctx) {
  const from = ctx.params.get("from") || "";
  const to = ctx.params.get("to") || "";
  const [models, report] = await Promise.all([
    api("GET", "/models", { auth: false }).catch(() => []),
    api("GET", `/admin/kpis${query({ from, to })}`),
  ]);
  const titles = new Map(models.map((m) => [m.key, m.title]));
  const modelTitle = (key) => titles.get(key) || key;

  const fromInput = h("input", { type: "date", name: "from", value: report.from });
  const toInput = h("input", { type: "date", name: "to", value: report.to });
  const slot = h("div", { id: "kpi-dashboard" }, dashboard(report, modelTitle));

  async function reload() {
    const fresh = await api("GET", `/admin/kpis${query({ from: report.from, to: report.to })}`);
    slot.replaceChildren(dashboard(fresh, modelTitle));
  }

  return h(
    "section",
    {},
    h("h1", {}, "KPI dashboard"),
    h(
      "form",
      {
        class: "toolbar",
        onsubmit: (e) => {
          e.preventDefault();
          ctx.navigate(`#/admin/kpis${query({ from: fromInput.value, to: toInput.value })}`);
        },
      },
      field("From", fromInput),
      field("To", toInput),
      h("button", { type: "submit" }, "Show"),
    ),
    h("p", { class: "hint" }, `Days in ${report.time_zone}, computed by the nightly KPI job.`),
    slot,
    backfillForm(ctx, report, reload),
  );
}
