// Admin: the school's jobs (operators: every school's, with a School column), newest first, filtered by status or user; a stuck (unfinished) job can
// be re-checked at fal now, or failed with a reason and refunded.

import { api, query } from "../api.js";
import { field, h } from "../dom.js";
import { FINAL_STATUSES, STATUS_LABELS, formatDateTime, formatMoney, formatSeconds } from "../format.js";
import { shortPrompt } from "../job-card.js";
import { describe, failDialog, recheck } from "../job-actions.js";
import { loadMore } from "../paging.js";

const PAGE_SIZE = 50;

/** A row whose cells follow the job; `actions` = {onRecheck(job, button), onFail(job, button)}. */
function jobRow(job, modelTitle, actions, isOperator) {
  const status = h("td", {});
  const took = h("td", { class: "num" });
  const error = h("td", { class: "wrap" });
  const buttons = h("td", {});
  const row = h(
    "tr",
    { "data-job-id": job.id },
    h("td", {}, formatDateTime(job.created_at)),
    isOperator ? h("td", { class: "wrap" }, job.school_name || "(none)") : null,
    h("td", {}, modelTitle(job.model)),
    h("td", { class: "wrap" }, job.prompt),
    status,
    took,
    h("td", { class: "num" }, formatMoney(job.cost_estimate_usd)),
    error,
    buttons,
  );
  row.update = (fresh) => {
    job = fresh;
    row.dataset.status = job.status;
    status.replaceChildren(h("span", { class: `status status-${job.status}` }, STATUS_LABELS[job.status] || job.status));
    took.textContent = formatSeconds(job.duration_seconds);
    error.textContent = job.error || "";
    if (FINAL_STATUSES.has(job.status)) {
      buttons.replaceChildren();
      return;
    }
    if (buttons.childElementCount) return; // keep the buttons (and the focus on them)
    const which = h("span", { class: "visually-hidden" }, ` (${shortPrompt(job.prompt, 40)})`);
    const recheckButton = h("button", { type: "button", class: "secondary" }, "Re-check now", which.cloneNode(true));
    const failButton = h("button", { type: "button", class: "secondary danger" }, "Fail and refund…", which);
    recheckButton.addEventListener("click", () => actions.onRecheck(job, recheckButton));
    failButton.addEventListener("click", () => actions.onFail(job, failButton));
    buttons.append(h("div", { class: "actions" }, recheckButton, failButton));
  };
  row.update(job);
  return row;
}

export async function render(ctx) {
  const status = ctx.params.get("status") || "";
  const userId = ctx.params.get("user_id") || "";
  const [models, first] = await Promise.all([
    api("GET", "/models", { auth: false }).catch(() => []),
    api("GET", `/admin/jobs${query({ status, user_id: userId, limit: PAGE_SIZE })}`),
  ]);
  const titles = new Map(models.map((m) => [m.key, m.title]));
  const modelTitle = (key) => titles.get(key) || key;

  const statusPicker = h(
    "select",
    { name: "status" },
    h("option", { value: "" }, "All"),
    Object.entries(STATUS_LABELS).map(([value, label]) => h("option", { value, selected: value === status }, label)),
  );
  const userInput = h("input", { type: "text", name: "user_id", value: userId, spellcheck: "false" });

  // The outcome of the last action: a live region, present (empty) before anything is said.
  const result = h("p", { class: "action-result", role: "status", tabindex: -1 });
  const dialog = failDialog();
  function report(message, isError = false) {
    result.classList.toggle("is-error", isError);
    result.textContent = message;
  }
  /** After an action the row's buttons may be gone: focus the result rather than lose it. */
  function keepFocus(button) {
    if (!button.isConnected) result.focus();
  }
  const actions = {
    async onRecheck(job, button) {
      // Busy, not disabled: a disabled button would drop the keyboard focus.
      if (button.getAttribute("aria-busy") === "true") return;
      button.setAttribute("aria-busy", "true");
      report(`Asking fal about “${shortPrompt(job.prompt, 40)}”…`);
      try {
        const answer = await recheck(job);
        rows.get(job.id).update(answer.job);
        report(describe(answer));
      } catch (e) {
        report(`Could not re-check “${shortPrompt(job.prompt, 40)}”: ${e.message}`, true);
      } finally {
        button.removeAttribute("aria-busy");
        keepFocus(button);
      }
    },
    async onFail(job, button) {
      const answer = await dialog.open(job, button);
      if (!answer) return;
      rows.get(job.id).update(answer.job);
      report(describe(answer));
      keepFocus(button);
    },
  };
  const isOperator = ctx.profile.role === "operator";
  const columns = ["Requested", ...(isOperator ? ["School"] : []), "Model", "Prompt", "Status", "Took", "Cost", "Error", "Actions"];
  const rows = new Map();
  function addRow(job) {
    const row = jobRow(job, modelTitle, actions, isOperator);
    rows.set(job.id, row);
    return row;
  }

  const body = h("tbody", {}, first.items.map(addRow));
  if (!first.items.length) body.append(h("tr", {}, h("td", { colspan: columns.length }, "No jobs match.")));

  const more = loadMore(
    ctx,
    first.next_cursor,
    (cursor) => api("GET", `/admin/jobs${query({ status, user_id: userId, limit: PAGE_SIZE, cursor })}`),
    (page) => page.items.forEach((job) => body.append(addRow(job))),
  );

  function onFilter(event) {
    event.preventDefault();
    ctx.navigate(`#/admin/jobs${query({ status: statusPicker.value, user_id: userInput.value.trim() })}`);
  }

  return h(
    "section",
    {},
    h("h1", {}, "Jobs"),
    h(
      "form",
      { class: "toolbar", onsubmit: onFilter },
      field("Status", statusPicker),
      field("User id", userInput),
      h("button", { type: "submit" }, "Filter"),
    ),
    h("p", { class: "hint" }, "A job still unfinished long after it was asked for is stuck: re-check it at fal now, or fail it with a reason (its budget reservation is released)."),
    result,
    h(
      "div",
      { class: "table-wrap", tabindex: 0, role: "region", "aria-label": "Jobs table" },
      h(
        "table",
        {},
        h("caption", {}, userId ? "Jobs of one user" : isOperator ? "Every school's jobs" : "The school's jobs"),
        h(
          "thead",
          {},
          h("tr", {}, columns.map((t) => h("th", { scope: "col", class: t === "Took" || t === "Cost" ? "num" : null }, t))),
        ),
        body,
      ),
    ),
    more,
    dialog.element,
  );
}
