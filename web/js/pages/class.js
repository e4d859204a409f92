// A teacher's class (#/class?id=…, opened from the Classes page): its students, and every
// video they made, each of which the teacher can hide from the student (with a reason) or
// show again.

import { api, query } from "../api.js";
import { h } from "../dom.js";
import { formatDateTime } from "../format.js";
import { jobCard, shortPrompt } from "../job-card.js";
import { hideDialog, unhide } from "../job-actions.js";
import { spendMeter } from "../budget.js";
import { spendText } from "./classes.js";
import { loadMore } from "../paging.js";

const PAGE_SIZE = 24;

/** A student's "Remove" button, confirmed in place (no browser dialog): removing takes the
 * student out of this class only; their videos stay theirs. */
function removeCell(roster, student, ctx, onRemoved) {
  const cell = h("td", {});
  const label = (text) => h("span", { class: "visually-hidden" }, ` ${text} ${student.display_name}`);
  function ask() {
    const yes = h("button", { type: "button" }, "Yes, remove", label("—"));
    const keep = h("button", { type: "button", class: "secondary" }, "Keep", label(""));
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        await api("DELETE", `/classes/${encodeURIComponent(roster.class_id)}/members/${encodeURIComponent(student.user_id)}`);
        ctx.announce(`${student.display_name} removed from ${roster.name}`);
        onRemoved();
      } catch (e) {
        ctx.announce(`Could not remove ${student.display_name}: ${e.message}`);
        yes.disabled = false;
      }
    });
    keep.addEventListener("click", () => {
      show();
      cell.querySelector("button").focus();
    });
    cell.replaceChildren(h("span", {}, "Remove from the class? "), yes, " ", keep);
    yes.focus();
  }
  function show() {
    const remove = h("button", { type: "button", class: "secondary" }, "Remove", label(""));
    remove.addEventListener("click", ask);
    cell.replaceChildren(remove);
  }
  show();
  return cell;
}

function rosterTable(roster, ctx) {
  if (!roster.students.length) return h("p", { class: "empty" }, "No students in this class yet.");
  const table = h(
    "table",
    {},
    h("caption", { class: "visually-hidden" }, `Students of ${roster.name}`),
    h(
      "thead",
      {},
      h("tr", {}, ...["Name", "Email", "Joined", "Videos", "Action"].map((t) => h("th", { scope: "col" }, t))),
    ),
  );
  const body = h("tbody", {});
  for (const s of roster.students) {
    const row = h(
      "tr",
      {},
      h("td", {}, s.display_name),
      h("td", { class: "wrap" }, s.email),
      h("td", {}, formatDateTime(s.joined_at)),
      h("td", { class: "num" }, String(s.video_count)),
    );
    row.append(
      removeCell(roster, s, ctx, () => {
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        (next?.querySelector("button") || table.closest("section")?.querySelector("h1"))?.focus();
      }),
    );
    body.append(row);
  }
  table.append(body);
  return table;
}

export async function render(ctx) {
  const classId = ctx.params.get("id");
  if (!classId) {
    ctx.navigate("#/classes"); // one list of classes: the Classes page links to each class
    return h("p", {}, "Opening your classes…");
  }
  const [models, roster, first, spend] = await Promise.all([
    api("GET", "/models", { auth: false }).catch(() => []),
    api("GET", `/classes/${encodeURIComponent(classId)}/roster`),
    api("GET", `/classes/${encodeURIComponent(classId)}/videos${query({ limit: PAGE_SIZE })}`),
    api("GET", `/classes/${encodeURIComponent(classId)}/spend`).catch(() => null),
  ]);
  const titles = new Map(models.map((m) => [m.key, m.title]));
  const modelTitle = (key) => titles.get(key) || key;
  const dialog = hideDialog();
  const list = h("div", { class: "jobs", id: "class-videos" });
  const empty = h("p", { class: "empty" }, "No videos yet.");

  function card(job) {
    return jobCard(job, { actions, modelTitle, student: job.student_name || "" });
  }
  function replace(old, fresh) {
    const el = card({ ...fresh, student_name: old.student_name });
    list.querySelector(`[data-job-id="${CSS.escape(old.id)}"]`).replaceWith(el);
    return el;
  }
  const actions = {
    onExpired: (job) => api("GET", `/generations/${job.id}`).catch(() => null),
    async onHide(job, button) {
      const fresh = await dialog.open(job, button);
      if (!fresh) return;
      const el = replace(job, fresh);
      ctx.announce(`Hidden: ${shortPrompt(job.prompt, 40)}`);
      el.querySelector(".actions button")?.focus();
    },
    async onUnhide(job, button) {
      button.disabled = true;
      try {
        const fresh = await unhide(job);
        const el = replace(job, fresh);
        ctx.announce(`Shown again: ${shortPrompt(job.prompt, 40)}`);
        el.querySelector(".actions button")?.focus();
      } catch (e) {
        button.disabled = false;
        ctx.announce(`Could not show it again: ${e.message}`);
      }
    },
  };

  const more = loadMore(
    ctx,
    first.next_cursor,
    (cursor) => api("GET", `/classes/${encodeURIComponent(classId)}/videos${query({ limit: PAGE_SIZE, cursor })}`),
    (page) => page.items.forEach((job) => list.append(card(job))),
  );

  first.items.forEach((job) => list.append(card(job)));
  empty.hidden = first.items.length > 0;
  return h(
    "section",
    {},
    h("h1", {}, `Class: ${roster.name}`),
    h("h2", {}, "This month's spend"),
    h("p", { class: "class-spend", id: "class-spend" }, spend ? spendText(spend) : "This month's spend cannot be shown now."),
    spend ? spendMeter(`Spend of ${roster.name} against its cap`, spend.used, spend.monthly_cap) : null,
    h("p", { class: "hint" }, h("a", { href: "#/classes" }, "Set the class's cap on the Classes page")),
    h("h2", {}, "Students"),
    rosterTable(roster, ctx),
    h("h2", {}, "Videos"),
    h("p", { class: "hint" }, "A hidden video stays here for you; its student sees your reason and cannot play or download it."),
    empty,
    list,
    more,
    dialog.element,
  );
}
