// Safety: the prompts the filter refused, for the students a teacher teaches (a school
// admin: the whole school), newest first. Opening the page marks them seen (the badge).

import { api, query } from "../api.js";
import { h } from "../dom.js";
import { formatDateTime } from "../format.js";
import { markSafetySeen } from "../safety-badge.js";
import { loadMore } from "../paging.js";

const PAGE_SIZE = 50;

const RULES = {
  "builtin:violence": "Violence or weapons",
  "builtin:self_harm": "Self-harm",
  "builtin:sexual": "Sexual content",
  "builtin:hate": "Hate",
  "builtin:drugs": "Drugs",
  school: "The school's own list",
  deployment: "The service's list",
};

function eventRow(e) {
  return h(
    "tr",
    {},
    h("td", {}, formatDateTime(e.created_at)),
    h("td", { class: "wrap" }, e.display_name || "(account deleted)", e.email ? h("br") : null, e.email || ""),
    h("td", {}, e.class_name || ""),
    h("td", { class: "wrap" }, e.prompt ?? h("em", {}, `(removed ${formatDateTime(e.prompt_removed_at)}: older than the school keeps it)`)),
    h("td", {}, RULES[e.rule] || e.rule),
  );
}

export async function render(ctx) {
  const first = await api("GET", `/safety/events${query({ limit: PAGE_SIZE })}`);
  markSafetySeen();
  const body = h("tbody", {}, ...first.items.map(eventRow));
  const more = loadMore(
    ctx,
    first.next_cursor,
    (cursor) => api("GET", `/safety/events${query({ limit: PAGE_SIZE, cursor })}`),
    (page) => page.items.forEach((e) => body.append(eventRow(e))),
  );
  const table = h(
    "table",
    {},
    h("caption", { class: "visually-hidden" }, "Refused prompts, newest first"),
    h(
      "thead",
      {},
      h("tr", {}, ...["When", "Student", "Class", "Prompt", "Why"].map((t) => h("th", { scope: "col" }, t))),
    ),
    body,
  );
  return h(
    "section",
    {},
    h("h1", {}, "Safety"),
    h(
      "p",
      { class: "hint" },
      "Prompts the safety filter refused. Nothing was generated and nothing was charged; the student was asked to write it another way.",
    ),
    first.items.length ? table : h("p", { class: "empty" }, "No refused prompts."),
    more,
  );
}
