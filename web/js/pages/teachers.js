// Teachers and invites (a school's admins; operators pick the school): the school's teachers
// and admins, and the invites that make new ones. An invite is for one email, single use, 7
// days; its link is shown once, to send to the teacher, who registers with it.

import { api, query } from "../api.js";
import { errorBox, field, h, submitting } from "../dom.js";
import { formatDateTime } from "../format.js";
import { schoolPicker } from "./school.js";

const STAFF = new Set(["teacher", "admin"]);
const ROLE_NAMES = { teacher: "Teacher", admin: "School admin" };

function staffTable(staff) {
  if (!staff.length) return h("p", { class: "empty" }, "No teachers yet: invite one below.");
  return h(
    "table",
    {},
    h("caption", { class: "visually-hidden" }, "Teachers and admins of the school"),
    h("thead", {}, h("tr", {}, ...["Name", "Email", "Role"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...staff.map((u) =>
        h("tr", {}, h("td", {}, u.display_name), h("td", { class: "wrap" }, u.email), h("td", {}, ROLE_NAMES[u.role])),
      ),
    ),
  );
}

/** The registration link an invite's token makes (the app's own address, #/register). */
function inviteLink(token) {
  const base = `${location.origin}${location.pathname}`;
  return `${base}#/register?invite=${encodeURIComponent(token)}`;
}

export async function render(ctx) {
  const { schoolId, picker } = await schoolPicker(ctx, "/school/teachers");
  const scoped = query({ school_id: schoolId });
  const [users, school] = await Promise.all([
    api("GET", `/admin/users${query({ limit: 200, role: ["teacher", "admin"], school_id: schoolId })}`),
    api("GET", `/school${scoped}`),
  ]);
  const staff = users.items.filter((u) => STAFF.has(u.role) && u.school_id === school.id);
  const more = users.total > users.items.length ? h("p", { class: "hint" }, `The first ${users.items.length} of ${users.total}: search on the Users page.`) : null;

  const invites = h("tbody", {});
  const status = h("p", { class: "row-status", role: "status" });
  function inviteRow(invite) {
    const revoke = h("button", { type: "button", class: "secondary" }, "Revoke",
      h("span", { class: "visually-hidden" }, ` the invite of ${invite.email}`));
    revoke.addEventListener("click", async () => {
      revoke.disabled = true;
      try {
        await api("DELETE", `/school/invites/${encodeURIComponent(invite.id)}${scoped}`);
        ctx.announce(`Invite of ${invite.email} revoked`);
        if (made.dataset.inviteId === invite.id) made.replaceChildren(); // its link works no more
        await reload();
      } catch (e) {
        status.textContent = e.message;
        revoke.disabled = false;
      }
    });
    return h(
      "tr",
      { "data-invite-id": invite.id },
      h("td", { class: "wrap" }, invite.email),
      h("td", {}, ROLE_NAMES[invite.role] || invite.role),
      h("td", {}, invite.status),
      h("td", {}, formatDateTime(invite.expires_at)),
      h("td", {}, invite.status === "pending" ? revoke : ""),
    );
  }
  async function reload() {
    const page = await api("GET", `/school/invites${scoped}`);
    invites.replaceChildren(
      ...(page.items.length ? page.items.map(inviteRow) : [h("tr", {}, h("td", { colspan: 5 }, "No invites yet."))]),
    );
  }

  const email = h("input", { type: "email", name: "email", required: true, maxlength: 254, autocomplete: "off" });
  const role = h(
    "select",
    { name: "role" },
    h("option", { value: "teacher" }, ROLE_NAMES.teacher),
    h("option", { value: "admin" }, ROLE_NAMES.admin),
  );
  const error = errorBox();
  const send = h("button", { type: "submit" }, "Create invite");
  const made = h("div", { class: "invite-made", "aria-live": "polite" });
  const onInvite = submitting(send, error, async () => {
    const invite = await api("POST", `/school/invites${scoped}`, {
      body: { email: email.value.trim(), role: role.value },
    });
    const link = h("input", { type: "text", readonly: true, value: inviteLink(invite.token), class: "invite-link" });
    made.dataset.inviteId = invite.id;
    made.replaceChildren(
      h("p", {}, `Send this link to ${invite.email} (it is shown only now; it works once, until ${formatDateTime(invite.expires_at)}):`),
      field("Invite link", link),
    );
    email.value = "";
    ctx.announce(`Invite created for ${invite.email}`);
    await reload();
    link.focus();
    link.select();
  });
  await reload();
  return h(
    "section",
    {},
    h("h1", {}, `Teachers of ${school.name}`),
    picker,
    staffTable(staff),
    more,
    h("p", { class: "hint" }, "Roles are changed on the Users page."),
    h("h2", {}, "Invite a teacher"),
    h("form", { class: "toolbar", onsubmit: onInvite }, error, field("Email", email), field("Role", role), send),
    made,
    h("h2", {}, "Invites"),
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, "Invites, newest first"),
      h("thead", {}, h("tr", {}, ...["Email", "Role", "Status", "Expires", "Action"].map((t) => h("th", { scope: "col" }, t)))),
      invites,
    ),
    status,
  );
}
