// The school's budget (its admins; operators pick the school): the monthly budget in USD
// (empty: no limit) and, per role, the daily money cap, the daily video cap and the models
// the role may use (GET/PUT /school/budget); the month so far (GET /school/budget/status).
// A refused value (422) is announced and tied to its field, as on the School page.

import { api, ApiError, query } from "../api.js";
import { errorBox, field, fieldErrors, h, modelChoices } from "../dom.js";
import { budgetStatus, forgetBudgetStatus, spendMeter, statusText } from "../budget.js";
import { schoolPicker } from "./school.js";

const ROLES = [
  ["student", "students"],
  ["teacher", "teachers"],
  ["admin", "admins"],
];
const SETTINGS = { daily_money_cap: "daily money cap", daily_video_cap: "daily video cap", allowed_models: "models" };

/** Field messages of a 422, keyed "monthly_budget" or "<role>.<setting>" (the body's order
 * names the role of role_limits.<i>). */
function fieldMessages(error, roles) {
  const messages = {};
  for (const f of (error instanceof ApiError && error.details.fields) || []) {
    const parts = String(f.field).split(".");
    let key = null;
    if (parts[0] === "monthly_budget") key = "monthly_budget";
    else if (parts[0] === "role_limits" && roles[Number(parts[1])] && parts[2] in SETTINGS) key = `${roles[Number(parts[1])]}.${parts[2]}`;
    if (key) messages[key] = [messages[key], f.message].filter(Boolean).join(" ");
  }
  return messages;
}

function labelOf(key) {
  if (key === "monthly_budget") return "Monthly budget";
  const [role, setting] = key.split(".");
  return `${ROLES.find(([r]) => r === role)[1]}: ${SETTINGS[setting]}`.replace(/^./, (c) => c.toUpperCase());
}

/** "" -> null, else the text as typed: the API parses money exactly (and names what it refuses). */
const moneyValue = (input) => (input.value.trim() === "" ? null : input.value.trim());
const countValue = (input) => (input.value.trim() === "" ? null : Number(input.value));

function statusBlock(status) {
  return [
    h("p", { id: "budget-status" }, statusText(status)),
    spendMeter("Used of the monthly budget", status.used, status.monthly_budget),
  ];
}

export async function render(ctx) {
  const { schoolId, picker } = await schoolPicker(ctx, "/school/budget");
  const [budget, status, models] = await Promise.all([
    api("GET", `/school/budget${query({ school_id: schoolId })}`),
    budgetStatus(schoolId),
    api("GET", "/models", { auth: false }).catch(() => []),
  ]);
  const limits = new Map(budget.role_limits.map((r) => [r.role, r]));
  const statusSlot = h("div", { class: "budget-status" }, statusBlock(status));

  const controls = {};
  const wrappers = {};
  const monthly = h("input", { type: "text", name: "monthly_budget", inputmode: "decimal", autocomplete: "off", value: budget.monthly_budget ?? "" });
  controls.monthly_budget = monthly;
  wrappers.monthly_budget = field("Monthly budget (USD)", monthly, "Dollars and cents, like 250 or 99.50. Empty: no limit. Months follow the school's time zone.");

  const roleSets = ROLES.map(([role, plural]) => {
    const mine = limits.get(role) || { daily_money_cap: null, daily_video_cap: null, allowed_models: null };
    const money = h("input", { type: "text", name: `${role}_money`, inputmode: "decimal", autocomplete: "off", value: mine.daily_money_cap ?? "" });
    const videos = h("input", { type: "number", name: `${role}_videos`, min: 0, max: 10000, step: 1, inputmode: "numeric", value: mine.daily_video_cap ?? "" });
    const { set: modelSet, boxes } = modelChoices(models, mine.allowed_models, `Models ${plural} may use`,
      "None ticked: every model the school allows.", { class: "models" });
    controls[`${role}.daily_money_cap`] = money;
    controls[`${role}.daily_video_cap`] = videos;
    controls[`${role}.allowed_models`] = modelSet;
    wrappers[`${role}.daily_money_cap`] = field(`Daily money cap for ${plural} (USD)`, money, "Per person and day. Empty: no cap.");
    wrappers[`${role}.daily_video_cap`] = field(`Daily videos for ${plural}`, videos, "Per person and day. Empty: no cap.");
    wrappers[`${role}.allowed_models`] = modelSet;
    const set = h(
      "fieldset",
      { class: "role-limits" },
      h("legend", {}, plural.replace(/^./, (c) => c.toUpperCase())),
      wrappers[`${role}.daily_money_cap`],
      wrappers[`${role}.daily_video_cap`],
      modelSet,
    );
    return { role, money, videos, boxes, set };
  });

  const showFieldErrors = fieldErrors(wrappers, controls);

  const error = errorBox();
  const result = h("p", { class: "action-result", role: "status" });
  const save = h("button", { type: "submit" }, "Save budget");

  async function onSubmit(event) {
    event.preventDefault();
    error.show("");
    result.textContent = "";
    showFieldErrors({});
    const body = {
      monthly_budget: moneyValue(monthly),
      role_limits: roleSets.map(({ role, money, videos, boxes }) => {
        const ticked = boxes.filter((b) => b.checked).map((b) => b.value);
        return { role, daily_money_cap: moneyValue(money), daily_video_cap: countValue(videos), allowed_models: ticked.length ? ticked : null };
      }),
    };
    save.disabled = true;
    try {
      const saved = await api("PUT", `/school/budget${query({ school_id: schoolId })}`, { body });
      monthly.value = saved.monthly_budget ?? "";
      forgetBudgetStatus();
      const fresh = await budgetStatus(schoolId).catch(() => null);
      if (fresh) statusSlot.replaceChildren(...statusBlock(fresh).filter(Boolean));
      result.textContent = "Budget saved.";
      ctx.refreshBanner();
    } catch (e) {
      const messages = fieldMessages(e, body.role_limits.map((r) => r.role));
      showFieldErrors(messages);
      error.showFields(e, messages, labelOf);
    } finally {
      save.disabled = false;
    }
  }

  return h(
    "section",
    { class: "narrow" },
    h("h1", {}, "Budget"),
    picker,
    h("h2", {}, "This month"),
    statusSlot,
    h("h2", {}, "Limits"),
    h(
      "form",
      // novalidate: the API checks every value and its messages are tied to the fields
      { onsubmit: onSubmit, "aria-label": "Budget and limits", novalidate: true },
      error,
      wrappers.monthly_budget,
      roleSets.map((r) => r.set),
      save,
      result,
    ),
  );
}
