// The school's activity log (its admins; operators pick the school): who changed what,
// newest first, with a "Load more" for older entries.

import { api, query } from "../api.js";
import { h } from "../dom.js";
import { formatDateTime } from "../format.js";
import { schoolPicker } from "./school.js";
import { loadMore } from "../paging.js";

const PAGE_SIZE = 50;

/** The details as text: "retention_days: 90 → 30; name: A → B". */
function describe(details) {
  return Object.entries(details || {})
    .map(([key, value]) => {
      if (value && typeof value === "object" && "to" in value) {
        return `${key}: ${JSON.stringify(value.from)} → ${JSON.stringify(value.to)}`;
      }
      return `${key}: ${JSON.stringify(value)}`;
    })
    .join("; ");
}

function entryRow(entry) {
  return h(
    "tr",
    {},
    h("td", {}, formatDateTime(entry.created_at)),
    h("td", { class: "wrap" }, entry.actor_email || "(deleted account)"),
    h("td", {}, entry.action),
    h("td", { class: "wrap" }, describe(entry.details)),
  );
}

export async function render(ctx) {
  const { schoolId, picker } = await schoolPicker(ctx, "/school/activity");
  const params = { school_id: schoolId, limit: PAGE_SIZE };
  const first = await api("GET", `/school/activity${query(params)}`);
  const body = h("tbody", {}, first.items.map(entryRow));
  if (!first.items.length) body.append(h("tr", {}, h("td", { colspan: 4 }, "Nothing has happened yet.")));

  const more = loadMore(
    ctx,
    first.next_cursor,
    (cursor) => api("GET", `/school/activity${query({ ...params, cursor })}`),
    (page) => {
      page.items.forEach((entry) => body.append(entryRow(entry)));
      ctx.announce(`${page.items.length} older entries loaded.`);
    },
  );

  return h(
    "section",
    {},
    h("h1", {}, "Activity"),
    picker,
    h(
      "div",
      { class: "table-wrap", tabindex: 0, role: "region", "aria-label": "Activity table" },
      h(
        "table",
        {},
        h("caption", {}, "What was changed, newest first"),
        h("thead", {}, h("tr", {}, ["When", "Who", "Action", "Details"].map((t) => h("th", { scope: "col" }, t)))),
        body,
      ),
    ),
    more,
  );
}
