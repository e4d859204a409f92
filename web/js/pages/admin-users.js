// Admin: users with their role, daily video cap and today's use; change role or the cap
// override (money caps and budgets: the budget API, docs/architecture.md "Budgets").

import { api, query } from "../api.js";
import { errorBox, field, h } from "../dom.js";
import { formatDateTime } from "../format.js";

const PAGE_SIZE = 50;
const ROLES = ["student", "teacher", "admin"];
// An operator also makes operators, and sees every school's users (the School column).
const OPERATOR_ROLES = [...ROLES, "operator"];

// A cap of null is no cap.
function capText(cap) {
  return cap === null || cap === undefined ? "no cap" : String(cap);
}

function userRow(user, ctx, isOperator) {
  const who = user.email;
  const roles = isOperator ? OPERATOR_ROLES : ROLES;
  const role = h(
    "select",
    { "aria-label": `Role of ${who}`, disabled: !roles.includes(user.role) },
    (roles.includes(user.role) ? roles : [...roles, user.role]).map((r) => h("option", { value: r, selected: r === user.role }, r)),
  );
  const cap = h("input", {
    type: "number",
    min: 0,
    max: 10000,
    step: 1,
    inputmode: "numeric",
    value: user.video_cap_override ?? "",
    placeholder: `${capText(user.daily_video_cap)} (default)`,
    "aria-label": `Daily video cap of ${who} (empty: the role's default)`,
  });
  const effective = h("span", { class: "hint" }, `effective ${capText(user.daily_video_cap)}`);
  const result = h("span", { class: "row-status", role: "status" });
  const save = h("button", { type: "button", class: "secondary" }, "Save", h("span", { class: "visually-hidden" }, ` ${who}`));

  save.addEventListener("click", async () => {
    const body = {};
    if (role.value !== user.role) body.role = role.value;
    const wanted = cap.value === "" ? null : Number(cap.value);
    if (wanted !== user.video_cap_override) body.video_cap_override = wanted;
    if (!Object.keys(body).length) {
      result.textContent = "No changes";
      return;
    }
    save.disabled = true;
    try {
      user = await api("PATCH", `/admin/users/${user.id}`, { body });
      cap.placeholder = `${capText(user.daily_video_cap)} (default)`;
      effective.textContent = `effective ${capText(user.daily_video_cap)}`;
      result.textContent = "Saved";
      ctx.announce(`Saved ${who}`);
    } catch (e) {
      result.textContent = e.message;
    } finally {
      save.disabled = false;
    }
  });

  return h(
    "tr",
    { "data-user-id": user.id },
    h("td", { class: "wrap" }, user.display_name),
    h("td", { class: "wrap" }, user.email),
    isOperator ? h("td", { class: "wrap" }, user.school_name || "(none)") : null,
    h("td", {}, role),
    h("td", {}, cap, effective),
    h("td", { class: "num" }, String(user.used_today)),
    h("td", {}, formatDateTime(user.created_at)),
    h(
      "td",
      {},
      h("div", { class: "actions" }, save, h("a", { href: `#/admin/jobs?user_id=${encodeURIComponent(user.id)}` }, "Jobs", h("span", { class: "visually-hidden" }, ` of ${who}`))),
      result,
    ),
  );
}

export async function render(ctx) {
  const q = ctx.params.get("q") || "";
  const offset = Math.max(0, Number(ctx.params.get("offset")) || 0);
  const page = await api("GET", `/admin/users${query({ q, limit: PAGE_SIZE, offset })}`);

  const search = h("input", { type: "search", name: "q", value: q });
  const error = errorBox();
  function go(params) {
    ctx.navigate(`#/admin/users${query(params)}`);
  }

  const isOperator = ctx.profile.role === "operator";
  const rows = page.items.map((user) => userRow(user, ctx, isOperator));
  const columns = ["Name", "Email", ...(isOperator ? ["School"] : []), "Role", "Daily videos", "Used today", "Joined", "Actions"];
  const last = Math.min(offset + page.items.length, page.total);
  const pager = h(
    "nav",
    { class: "pager", "aria-label": "Pages of users" },
    h("button", { type: "button", class: "secondary", disabled: offset === 0, onclick: () => go({ q, offset: Math.max(0, offset - PAGE_SIZE) }) }, "Previous"),
    h("span", {}, page.total ? `${offset + 1}–${last} of ${page.total}` : "No users"),
    h("button", { type: "button", class: "secondary", disabled: last >= page.total, onclick: () => go({ q, offset: offset + PAGE_SIZE }) }, "Next"),
  );

  return h(
    "section",
    {},
    h("h1", {}, "Users"),
    h(
      "form",
      { class: "toolbar", role: "search", onsubmit: (e) => (e.preventDefault(), go({ q: search.value.trim() })) },
      field("Search by email or name", search),
      h("button", { type: "submit" }, "Search"),
    ),
    error,
    h(
      "div",
      { class: "table-wrap", tabindex: 0, role: "region", "aria-label": "Users table" },
      h(
        "table",
        {},
        h("caption", {}, `Users (${page.total})`),
        h(
          "thead",
          {},
          h("tr", {}, columns.map((t) => h("th", { scope: "col", class: t === "Used today" ? "num" : null }, t))),
        ),
        h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: columns.length }, "No users match."))),
      ),
    ),
    pager,
  );
}
