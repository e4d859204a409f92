// KPIs per school and per class (issue 16), from the nightly KPI job.
// Operators: every school in a table with sparklines, sortable by spend and by activity
// (GET /kpis/schools); a school (?school_id=) or a school admin's own: its days and a
// per-class breakdown (GET /kpis/school); a teacher: the classes they teach (GET /kpis/classes).

import { api, query } from "../api.js";
import { barChart, sparkline } from "../charts.js";
import { field, h } from "../dom.js";
import { formatMoney } from "../format.js";
import { budgetStatus, spendMeter, statusText } from "../budget.js";
import { daysBetween, sum } from "../series.js";

const ADMINS = new Set(["admin", "operator"]);

/** A school's or class's days (only days with activity come back) added up. */
function totals(rows) {
  return {
    jobs_total: sum(rows, "jobs_total"),
    jobs_succeeded: sum(rows, "jobs_succeeded"),
    jobs_failed: sum(rows, "jobs_failed"),
    active_users: Math.max(0, ...rows.map((r) => r.active_users)),
    spend_usd: sum(rows, "spend_usd"),
    blocked_prompts: sum(rows, "blocked_prompts"),
  };
}

/** One value per day of the range, zero on days without a row. */
function series(labels, rows, key) {
  const byDay = new Map(rows.map((r) => [r.job_date, r]));
  return labels.map((day) => (byDay.has(day) ? Number(byDay.get(day)[key]) || 0 : 0));
}

const count = (v) => String(Math.round(v));
const dollars = (v) => formatMoney(v);

function tile(label, value) {
  return h("div", { class: "tile" }, h("p", { class: "label" }, label), h("p", { class: "value" }, value));
}

/**
 * A table of schools or classes, one row each with totals and sparklines. `sortable`: keys
 * whose header is a button (keyboard: Tab to it, Enter/Space); aria-sort says the order.
 */
function scopeTable({ caption, labels, items, name, sortable = [], sortKey = null, onSort = null }) {
  const rows = items.map((item) => ({ item, ...totals(item.days) }));
  if (sortKey) rows.sort((a, b) => b[sortKey] - a[sortKey] || a.item.name.localeCompare(b.item.name));
  const header = (label, key, num = true) => {
    const attrs = { scope: "col", class: num ? "num" : null };
    if (!sortable.includes(key)) return h("th", attrs, label);
    attrs["aria-sort"] = sortKey === key ? "descending" : "none";
    return h("th", attrs, h("button", { type: "button", class: "sort", onclick: () => onSort(key) }, label,
      h("span", { class: "visually-hidden" }, sortKey === key ? " (sorted, highest first)" : " (sort, highest first)")));
  };
  return h(
    "div",
    { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          header("Name", "name", false),
          header("Jobs", "jobs_total"),
          header("Succeeded", "jobs_succeeded"),
          header("Failed", "jobs_failed"),
          header("Active users (busiest day)", "active_users"),
          header("Blocked prompts", "blocked_prompts"),
          header("Spend", "spend_usd"),
          h("th", { scope: "col" }, "Jobs per day"),
          h("th", { scope: "col" }, "Spend per day"),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, name(row.item)),
            h("td", { class: "num" }, String(row.jobs_total)),
            h("td", { class: "num" }, String(row.jobs_succeeded)),
            h("td", { class: "num" }, String(row.jobs_failed)),
            h("td", { class: "num" }, String(row.active_users)),
            h("td", { class: "num" }, String(row.blocked_prompts)),
            h("td", { class: "num" }, formatMoney(row.spend_usd)),
            h("td", {}, sparkline({ title: `Jobs per day, ${row.item.name}`, labels, values: series(labels, row.item.days, "jobs_total"), color: 4, yFormat: count })),
            h("td", {}, sparkline({ title: `Spend per day, ${row.item.name}`, labels, values: series(labels, row.item.days, "spend_usd"), color: 5, yFormat: dollars })),
          ),
        ),
      ),
    ),
  );
}

function schoolsView(ctx, report) {
  const labels = daysBetween(report.from, report.to);
  const slot = h("div", {});
  const draw = (sortKey) => {
    slot.replaceChildren(
      scopeTable({
        caption: `Schools, ${report.from} to ${report.to}`,
        labels,
        items: report.schools,
        name: (school) => h("a", { href: `#/kpis${query({ school_id: school.school_id, from: report.from, to: report.to })}` }, school.name),
        sortable: ["jobs_total", "spend_usd"],
        sortKey,
        onSort: (key) => {
          draw(key);
          slot.querySelector(`th[aria-sort="descending"] button`)?.focus();
          ctx.announce(`Schools sorted by ${key === "spend_usd" ? "spend" : "jobs"}, highest first`);
        },
      }),
    );
  };
  draw("spend_usd");
  const all = totals(report.schools.flatMap((s) => s.days));
  return [
    h("div", { class: "tiles" }, tile("Schools", String(report.schools.length)), tile("Jobs", String(all.jobs_total)), tile("Spend", formatMoney(all.spend_usd)), tile("Blocked prompts", String(all.blocked_prompts))),
    h("p", { class: "hint" }, "Each school's days are in its own time zone. Sort by spend or by activity (jobs) with the column buttons."),
    slot,
  ];
}

/** Spend against budget: the school's month now (GET /school/budget/status), not the KPI
 * range (the budget is monthly and counts open reservations too). */
function budgetPart(status, schoolId) {
  const link = h("a", { href: `#/school/budget${query({ school_id: schoolId })}` }, "Budget and limits");
  if (!status) return [h("h2", {}, "Spend against budget"), h("p", {}, "The budget cannot be shown now. ", link)];
  return [
    h("h2", {}, "Spend against budget"),
    h("p", {}, statusText(status), " ", link),
    spendMeter("Used of the monthly budget", status.used, status.monthly_budget),
  ];
}

function schoolView(report, status, schoolId) {
  const labels = daysBetween(report.from, report.to);
  const days = report.school.days;
  const all = totals(days);
  return [
    h("h2", {}, report.school.name),
    h("p", { class: "hint" }, `Days in ${report.school.time_zone}.`),
    h(
      "div",
      { class: "tiles" },
      tile("Jobs", String(all.jobs_total)),
      tile("Succeeded", String(all.jobs_succeeded)),
      tile("Failed", String(all.jobs_failed)),
      tile("Active users (busiest day)", String(all.active_users)),
      tile("Blocked prompts", String(all.blocked_prompts)),
      tile("Spend", formatMoney(all.spend_usd)),
    ),
    h("div", { class: "budget-slot", "data-slot": "budget" }, budgetPart(status, schoolId)),
    h(
      "div",
      { class: "charts" },
      barChart({
        title: "Jobs per day",
        labels,
        series: [
          { label: "Succeeded", values: series(labels, days, "jobs_succeeded"), color: 1 },
          { label: "Failed", values: series(labels, days, "jobs_failed"), color: 2 },
          { label: "Cancelled", values: series(labels, days, "jobs_cancelled"), color: 3 },
        ],
        yFormat: count,
        summary: `${all.jobs_succeeded} succeeded, ${all.jobs_failed} failed.`,
      }),
      barChart({
        title: "Spend per day (USD)",
        labels,
        series: [{ label: "Spend", values: series(labels, days, "spend_usd"), color: 5 }],
        yFormat: (v) => `$${v.toFixed(v < 10 ? 2 : 0)}`,
        summary: `Total ${formatMoney(all.spend_usd)}.`,
      }),
    ),
    h("h2", { class: "section-title" }, "Per class"),
    report.classes.length
      ? scopeTable({ caption: `Classes of ${report.school.name}`, labels, items: report.classes, name: (c) => c.name + (c.archived ? " (archived)" : ""), sortKey: "spend_usd" })
      : h("p", { class: "empty" }, "No classes yet."),
  ];
}

function classesView(report) {
  const labels = daysBetween(report.from, report.to);
  if (!report.classes.length) return [h("p", { class: "empty" }, "You teach no class yet.")];
  return [scopeTable({ caption: "Your classes", labels, items: report.classes, name: (c) => c.name + (c.archived ? " (archived)" : "") })];
}

export async function render(ctx) {
  const role = ctx.profile?.role;
  const params = { from: ctx.params.get("from") || "", to: ctx.params.get("to") || "" };
  const schoolId = ctx.params.get("school_id") || "";
  let view;
  let report;
  if (role === "operator" && !schoolId) {
    report = await api("GET", `/kpis/schools${query(params)}`);
    view = schoolsView(ctx, report);
  } else if (ADMINS.has(role)) {
    let status;
    [report, status] = await Promise.all([
      api("GET", `/kpis/school${query({ ...params, school_id: schoolId })}`),
      budgetStatus(schoolId).catch(() => null),
    ]);
    view = schoolView(report, status, schoolId);
  } else {
    report = await api("GET", `/kpis/classes${query(params)}`);
    view = classesView(report);
  }
  const fromInput = h("input", { type: "date", name: "from", value: report.from });
  const toInput = h("input", { type: "date", name: "to", value: report.to });
  return h(
    "section",
    {},
    h("h1", {}, role === "operator" && !schoolId ? "KPIs per school" : ADMINS.has(role) ? "School KPIs" : "Class KPIs"),
    role === "operator" && schoolId ? h("p", {}, h("a", { href: `#/kpis${query(params)}` }, "All schools")) : null,
    h(
      "form",
      {
        class: "toolbar",
        onsubmit: (e) => {
          e.preventDefault();
          ctx.navigate(`#/kpis${query({ school_id: schoolId, from: fromInput.value, to: toInput.value })}`);
        },
      },
      field("From", fromInput),
      field("To", toInput),
      h("button", { type: "submit" }, "Show"),
    ),
    h("div", { id: "scope-kpis" }, ...view),
  );
}
