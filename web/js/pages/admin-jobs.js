// Admin: every job, newest first, filtered by status or user.

import { api, query } from "../api.js";
import { field, h } from "../dom.js";
import { STATUS_LABELS, formatDateTime, formatMoney, formatSeconds } from "../format.js";

const PAGE_SIZE = 50;

function jobRow(job, modelTitle) {
  return h(
    "tr",
    { "data-job-id": job.id },
    h("td", {}, formatDateTime(job.created_at)),
    h("td", {}, modelTitle(job.model)),
    h("td", { class: "wrap" }, job.prompt),
    h("td", {}, h("span", { class: `status status-${job.status}` }, STATUS_LABELS[job.status] || job.status)),
    h("td", { class: "num" }, formatSeconds(job.duration_seconds)),
    h("td", { class: "num" }, formatMoney(job.cost_estimate_usd)),
    h("td", { class: "wrap" }, job.error || ""),
  );
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
  const body = h("tbody", {}, first.items.map((job) => jobRow(job, modelTitle)));
  if (!first.items.length) body.append(h("tr", {}, h("td", { colspan: 7 }, "No jobs match.")));

  let cursor = first.next_cursor;
  const more = h("button", { type: "button", class: "secondary", hidden: !cursor }, "Load more");
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const page = await api("GET", `/admin/jobs${query({ status, user_id: userId, limit: PAGE_SIZE, cursor })}`);
      page.items.forEach((job) => body.append(jobRow(job, modelTitle)));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      ctx.announce(`Could not load more: ${e.message}`);
    } finally {
      more.disabled = false;
    }
  });

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
    h(
      "div",
      { class: "table-wrap", tabindex: 0, role: "region", "aria-label": "Jobs table" },
      h(
        "table",
        {},
        h("caption", {}, userId ? "Jobs of one user" : "All jobs"),
        h(
          "thead",
          {},
          h("tr", {}, ["Requested", "Model", "Prompt", "Status", "Took", "Cost", "Error"].map((t) => h("th", { scope: "col", class: t === "Took" || t === "Cost" ? "num" : null }, t))),
        ),
        body,
      ),
    ),
    more,
  );
}
