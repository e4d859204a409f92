// Money against budgets, shared by the Budget page, the admin banner, the class cards and the
// KPIs: the month's status as words and as a <meter> (no inline style: the CSP forbids it).
// Money arrives as exact decimal strings in USD (docs/architecture.md, "Budgets").

import { api, query } from "./api.js";
import { h } from "./dom.js";
import { formatDateTime, formatMoney } from "./format.js";

/** "Used $82.00 of $100.00 this month (82 %)": what is used of what, and what is open. */
export function statusText(status) {
  if (status.monthly_budget === null) {
    return `No monthly budget: ${formatMoney(status.used)} used this month, no limit.`;
  }
  const open = Number(status.reserved) > 0 ? ` (${formatMoney(status.reserved)} of it for videos still being made)` : "";
  return `Used ${formatMoney(status.used)} of ${formatMoney(status.monthly_budget)} this month${open}; ` +
    `${formatMoney(status.remaining)} left. It resets on ${formatDateTime(status.resets_at)}.`;
}

/**
 * A labelled meter of `used` against `limit` (both decimal strings), or null without a limit.
 * Browsers draw it green below 80 % (`low`), amber from 80 % and red when full (past `high`),
 * the banner's levels; the words beside it say the same, colour is never alone.
 */
export function spendMeter(label, used, limit) {
  if (limit === null || limit === undefined) return null;
  const max = Math.max(Number(limit), 0.01);
  return h("meter", {
    class: "spend-meter",
    min: 0,
    max,
    low: max * 0.79,
    high: max * 0.99,
    optimum: 0,
    value: Math.min(Number(used), max),
    "aria-label": label,
    title: `${formatMoney(used)} of ${formatMoney(limit)}`,
  });
}

// The banner's status, cached briefly per school: fetched once per page change at most, and
// not again within a minute (a budget saved clears it: `forgetBudgetStatus`).
const CACHE_MS = 60_000;
const cache = new Map();

export function forgetBudgetStatus() {
  cache.clear();
}

/** The school's month (GET /school/budget/status), from the cache when fresh. */
export async function budgetStatus(schoolId = "") {
  const hit = cache.get(schoolId);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.status;
  const status = await api("GET", `/school/budget/status${query({ school_id: schoolId })}`);
  cache.set(schoolId, { at: Date.now(), status });
  return status;
}

/**
 * The admin banner at 80 % and 100 % of the monthly budget, or null below (or on any
 * failure: a banner never breaks a page). 100 % is an alert (videos are being refused),
 * 80 % a status, each when it first appears; on later pages the same banner stays visible
 * without a live role. `shown`: the banner on screen now.
 */
export async function budgetBanner(schoolId = "", shown = null) {
  let status;
  try {
    status = await budgetStatus(schoolId);
  } catch {
    return null;
  }
  if (!status || (status.level !== 80 && status.level !== 100)) return null;
  const full = status.level === 100;
  const words = full
    ? `Your school's monthly budget is used up: ${formatMoney(status.used)} of ${formatMoney(status.monthly_budget)}. ` +
      `New videos are refused until it resets on ${formatDateTime(status.resets_at)}.`
    : `Your school has used ${formatMoney(status.used)} of its ${formatMoney(status.monthly_budget)} monthly budget ` +
      `(${Math.floor(Number(status.used_percent))} %). It resets on ${formatDateTime(status.resets_at)}.`;
  // Announced when it appears or its level changes, not again on every page change: the
  // banner it replaces (`shown`) said the same already.
  const same = shown && shown.dataset.level === String(status.level) && shown.dataset.school === schoolId;
  const live = same ? {} : { role: full ? "alert" : "status" };
  return h(
    "div",
    {
      class: `budget-banner ${full ? "budget-full" : "budget-warn"}`,
      "data-level": String(status.level),
      "data-school": schoolId,
      ...live,
    },
    h("p", {}, words, " ", h("a", { href: `#/school/budget${query({ school_id: schoolId })}` }, "See the budget")),
  );
}
