// Classes: the one list of classes. Teachers (and school admins): create, rename, archive,
// make a join code to project in class (big, monospace, XXXX-XXXX, with its expiry and
// uses), and open a class's students and videos (#/class?id=…). Students: join a class with
// its code and see the classes they are in.

import { api, ApiError } from "../api.js";
import { errorBox, field, fieldErrors, h, modelChoices, submitting } from "../dom.js";
import { formatDateTime, formatMoney } from "../format.js";
import { spendMeter } from "../budget.js";

const TEACHING = new Set(["teacher", "admin", "operator"]);

function codeSummary(code) {
  if (!code) return "No join code yet.";
  const state = code.active ? "active" : "expired or used up";
  return `Code ${state}: ${code.uses} of ${code.max_uses} uses, expires ${formatDateTime(code.expires_at)}.`;
}

/** A class's month (GET /classes/{id}/spend) in words: settled, reserved, the cap. */
export function spendText(spend) {
  const used = `${formatMoney(spend.settled)} spent and ${formatMoney(spend.reserved)} reserved this month`;
  if (spend.monthly_cap === null) return `${used}; no monthly cap.`;
  return `${used}, of a ${formatMoney(spend.monthly_cap)} cap: ${formatMoney(spend.remaining)} left. It resets on ${formatDateTime(spend.resets_at)}.`;
}

/** The class's spend, with a meter against its cap; its form sets the cap and the models. */
function budgetPart(klass, spend, models, ctx) {
  const line = h("p", { class: "class-spend" });
  const meterSlot = h("div", {});
  function show(fresh) {
    line.textContent = spendText(fresh);
    meterSlot.replaceChildren(...[spendMeter(`Spend of ${klass.name} against its cap`, fresh.used, fresh.monthly_cap)].filter(Boolean));
  }
  if (!spend) {
    line.textContent = "This month's spend cannot be shown now.";
    return h("div", { class: "class-budget" }, line);
  }
  show(spend);
  const cap = h("input", { type: "text", inputmode: "decimal", autocomplete: "off", value: spend.monthly_cap ?? "" });
  const { set: modelSet, boxes } = modelChoices(models, spend.allowed_models, `Models in ${klass.name}`,
    "None ticked: the models the school allows its students.", { class: "models" });
  const capField = field(`Monthly cap of ${klass.name} (USD)`, cap, "Dollars and cents. Empty: no cap.");
  const showCapError = fieldErrors({ monthly_cap: capField }, { monthly_cap: cap });
  const error = errorBox();
  const save = h("button", { type: "submit", class: "secondary" }, "Save budget", h("span", { class: "visually-hidden" }, ` of ${klass.name}`));
  async function onSave(event) {
    event.preventDefault();
    error.show("");
    showCapError({});
    save.disabled = true;
    const ticked = boxes.filter((b) => b.checked).map((b) => b.value);
    try {
      const fresh = await api("PUT", `/classes/${klass.id}/budget`, {
        body: { monthly_cap: cap.value.trim() === "" ? null : cap.value.trim(), allowed_models: ticked.length ? ticked : null },
      });
      show(fresh);
      ctx.announce(`Budget of ${klass.name} saved`);
    } catch (e) {
      const fields = (e instanceof ApiError && e.details.fields) || [];
      const capMessages = fields.filter((f) => String(f.field).split(".")[0] === "monthly_cap").map((f) => f.message);
      const modelMessages = fields.filter((f) => String(f.field).split(".")[0] === "allowed_models").map((f) => f.message);
      showCapError({ monthly_cap: capMessages.join(" ") });
      const named = [...capMessages.map((m) => `Monthly cap: ${m}`), ...modelMessages.map((m) => `Models: ${m}`)];
      error.show(named.length ? `Please check the budget of ${klass.name}. ${named.join(" ")}` : e.message);
    } finally {
      save.disabled = false;
    }
  }
  return h(
    "div",
    { class: "class-budget" },
    h("h3", {}, "Budget"),
    line,
    meterSlot,
    h("form", { onsubmit: onSave, "aria-label": `Budget of ${klass.name}` }, error, capField, modelSet, save),
  );
}

function classCard(klass, ctx, reload, spend, models) {
  const title = h("h2", {}, klass.name, klass.archived ? " (archived)" : "");
  const roster = h("p", { class: "roster" }, `${klass.student_count} student${klass.student_count === 1 ? "" : "s"}`);
  const work = h("p", {}, h("a", { href: `#/class?id=${encodeURIComponent(klass.id)}` }, "Students and videos",
    h("span", { class: "visually-hidden" }, ` of ${klass.name}`)));
  const summary = h("p", { class: "hint code-summary" }, codeSummary(klass.code));
  const shown = h("div", { class: "code-shown", "aria-live": "polite" });
  const status = h("p", { class: "row-status", role: "status" });
  const name = h("input", { type: "text", value: klass.name, maxlength: 100, required: true });
  const hours = h("input", { type: "number", min: 1, max: 720, step: 1, value: 168, inputmode: "numeric" });
  const uses = h("input", { type: "number", min: 1, max: 1000, step: 1, value: 40, inputmode: "numeric" });

  async function act(button, work) {
    button.disabled = true;
    status.textContent = "";
    try {
      await work();
    } catch (e) {
      status.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  }

  const rotate = h("button", { type: "button", disabled: klass.archived }, klass.code ? "New code" : "Make a code",
    h("span", { class: "visually-hidden" }, ` for ${klass.name}`));
  rotate.addEventListener("click", () =>
    act(rotate, async () => {
      const made = await api("POST", `/classes/${klass.id}/join-code`, {
        body: { expires_in_hours: Number(hours.value), max_uses: Number(uses.value) },
      });
      shown.replaceChildren(
        h("p", { class: "hint" }, "Show this code to your class (it is shown only now):"),
        h("p", { class: "join-code" }, made.code),
        h("p", {}, `Expires ${formatDateTime(made.expires_at)} · ${made.uses} of ${made.max_uses} uses`),
      );
      summary.textContent = codeSummary({ ...made, created_at: null, active: true });
      rotate.firstChild.nodeValue = "New code";
      ctx.announce(`New join code for ${klass.name}: ${made.code}`);
    }),
  );

  const rename = h("button", { type: "button", class: "secondary" }, "Rename", h("span", { class: "visually-hidden" }, ` ${klass.name}`));
  rename.addEventListener("click", () =>
    act(rename, async () => {
      const updated = await api("PATCH", `/classes/${klass.id}`, { body: { name: name.value.trim() } });
      ctx.announce(`Renamed to ${updated.name}`);
      await reload();
    }),
  );
  const archive = h("button", { type: "button", class: "secondary" }, klass.archived ? "Unarchive" : "Archive",
    h("span", { class: "visually-hidden" }, ` ${klass.name}`));
  archive.addEventListener("click", () =>
    act(archive, async () => {
      await api("PATCH", `/classes/${klass.id}`, { body: { archived: !klass.archived } });
      ctx.announce(klass.archived ? `${klass.name} restored` : `${klass.name} archived`);
      await reload();
    }),
  );

  return h(
    "article",
    { class: "class-card", "data-class-id": klass.id },
    title,
    roster,
    work,
    summary,
    shown,
    h("div", { class: "code-options" }, field(`Code valid for (hours) — ${klass.name}`, hours), field(`Uses allowed — ${klass.name}`, uses), h("div", { class: "actions" }, rotate)),
    h("div", { class: "code-options" }, field(`Name of ${klass.name}`, name), h("div", { class: "actions" }, rename, archive)),
    status,
    budgetPart(klass, spend, models, ctx),
  );
}

async function teacherView(ctx) {
  const list = h("div", { class: "classes" });
  const models = await api("GET", "/models", { auth: false }).catch(() => []);
  async function reload() {
    const page = await api("GET", "/classes");
    // each class's month; one that cannot be read shows as such, the page still renders
    const spends = await Promise.all(page.items.map((k) => api("GET", `/classes/${k.id}/spend`).catch(() => null)));
    list.replaceChildren(
      ...(page.items.length ? page.items.map((k, i) => classCard(k, ctx, reload, spends[i], models)) : [h("p", {}, "No classes yet.")]),
    );
  }
  const name = h("input", { type: "text", name: "name", required: true, maxlength: 100 });
  const error = errorBox();
  const create = h("button", { type: "submit" }, "Create class");
  const onCreate = submitting(create, error, async () => {
    const made = await api("POST", "/classes", { body: { name: name.value.trim() } });
    name.value = "";
    ctx.announce(`Class ${made.name} created`);
    await reload();
  });
  await reload();
  return h(
    "section",
    {},
    h("h1", {}, "Classes"),
    h("form", { class: "toolbar", onsubmit: onCreate }, error, field("New class name", name), create),
    list,
  );
}

async function studentView(ctx) {
  const list = h("ul", { class: "my-classes" });
  async function reload() {
    const page = await api("GET", "/classes");
    list.replaceChildren(
      ...(page.items.length ? page.items.map((k) => h("li", {}, k.name)) : [h("li", {}, "You are in no class yet.")]),
    );
  }
  const code = h("input", { type: "text", name: "code", required: true, maxlength: 32, autocomplete: "off", spellcheck: "false", class: "code-input" });
  const error = errorBox();
  const join = h("button", { type: "submit" }, "Join");
  const onJoin = submitting(join, error, async () => {
    const joined = await api("POST", "/classes/join", { body: { code: code.value.trim() } });
    code.value = "";
    ctx.announce(`You joined ${joined.name}`);
    await reload();
  });
  try {
    await reload();
  } catch (e) {
    if (!(e instanceof ApiError && e.code === "no_school")) throw e;
    list.replaceChildren(h("li", {}, "You are in no school yet: join a class with its code."));
  }
  return h(
    "section",
    { class: "narrow" },
    h("h1", {}, "My classes"),
    list,
    h("h2", {}, "Join a class"),
    h("form", { onsubmit: onJoin }, error, field("Class code", code, "From your teacher, like 7K3M-Q9TX."), join),
  );
}

export async function render(ctx) {
  return TEACHING.has(ctx.profile.role) ? teacherView(ctx) : studentView(ctx);
}
