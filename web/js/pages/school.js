// School settings (its admins; operators pick the school): name, time zone, how long videos
// are kept, the email domains that join the school, the prompt blocklist, the models allowed.
// Each saved change is logged in the school's activity (the Activity page).

import { api, ApiError, query } from "../api.js";
import { errorBox, field, fieldErrors, h, modelChoices, submitting } from "../dom.js";

const LABELS = {
  name: "School name",
  time_zone: "Time zone",
  retention_days: "Keep videos for (days)",
  email_domains: "Email domains",
  blocklist_terms: "Blocked prompt terms",
  allowed_models: "Models allowed",
};

const lines = (text) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

/** The operator's school picker (a school admin has one school: no picker). */
export async function schoolPicker(ctx, route) {
  const wanted = ctx.params.get("school_id") || "";
  if (ctx.profile.role !== "operator") return { schoolId: wanted, picker: null };
  const schools = (await api("GET", "/admin/schools")).items;
  const schoolId = wanted || (schools[0] && schools[0].id) || "";
  const select = h(
    "select",
    { name: "school_id" },
    schools.map((s) => h("option", { value: s.id, selected: s.id === schoolId }, s.name)),
  );
  const picker = h(
    "form",
    { class: "toolbar", onsubmit: (e) => (e.preventDefault(), ctx.navigate(`#${route}${query({ school_id: select.value })}`)) },
    field("School", select),
    h("button", { type: "submit" }, "Show"),
  );
  return { schoolId, picker };
}

/** Field messages from a 422 answer, keyed by the setting's name. */
function fieldMessages(error) {
  const messages = {};
  for (const f of (error instanceof ApiError && error.details.fields) || []) {
    const name = String(f.field).split(".")[0];
    if (name in LABELS) messages[name] = [messages[name], f.message].filter(Boolean).join(" ");
  }
  return messages;
}

/** An operator's form for a new school; it opens the new school's settings, from which its
 * first admin is invited (Teachers page). */
function newSchoolForm(ctx) {
  const name = h("input", { type: "text", name: "name", required: true, maxlength: 200 });
  const timeZone = h("input", { type: "text", name: "time_zone", required: true, value: "UTC", maxlength: 64 });
  const error = errorBox();
  const create = h("button", { type: "submit" }, "Create school");
  const onCreate = submitting(create, error, async () => {
    const made = await api("POST", "/admin/schools", { body: { name: name.value.trim(), time_zone: timeZone.value.trim() } });
    ctx.navigate(`#/school/teachers${query({ school_id: made.id })}`, `School ${made.name} created: invite its first admin.`);
  });
  return h(
    "form",
    { class: "toolbar", onsubmit: onCreate, "aria-label": "New school" },
    error,
    field("New school name", name),
    field("Its time zone", timeZone, "IANA name, like Europe/London."),
    create,
  );
}

export async function render(ctx) {
  const { schoolId, picker } = await schoolPicker(ctx, "/school");
  const creator = ctx.profile.role === "operator" ? [h("h2", {}, "New school"), newSchoolForm(ctx)] : [];
  const [school, models] = await Promise.all([
    api("GET", `/school${query({ school_id: schoolId })}`),
    api("GET", "/models", { auth: false }).catch(() => []),
  ]);

  const name = h("input", { type: "text", name: "name", required: true, maxlength: 200, value: school.name });
  const timeZone = h("input", { type: "text", name: "time_zone", required: true, maxlength: 64, value: school.time_zone, spellcheck: "false" });
  const retention = h("input", { type: "number", name: "retention_days", required: true, min: 1, max: 3650, step: 1, inputmode: "numeric", value: school.retention_days });
  const domains = h("textarea", { name: "email_domains", rows: 3, spellcheck: "false" });
  domains.value = school.email_domains.join("\n");
  const terms = h("textarea", { name: "blocklist_terms", rows: 5 });
  terms.value = school.blocklist_terms.join("\n");
  const { set: modelsSet, boxes } = modelChoices(models, school.allowed_models, LABELS.allowed_models, "None ticked: every model.");

  const controls = { name, time_zone: timeZone, retention_days: retention, email_domains: domains, blocklist_terms: terms, allowed_models: modelsSet };
  const fields = {
    name: field(LABELS.name, name),
    time_zone: field(LABELS.time_zone, timeZone, "An IANA time zone, such as Europe/Berlin or UTC."),
    retention_days: field(LABELS.retention_days, retention, "1 to 3650 days; older videos are deleted."),
    email_domains: field(LABELS.email_domains, domains, "One per line, lower case (school.example). Sign-ups from these join the school; at most 20."),
    blocklist_terms: field(LABELS.blocklist_terms, terms, "One per line, on top of the built-in list; at most 200, each up to 100 characters."),
    allowed_models: modelsSet,
  };
  const showFieldErrors = fieldErrors(fields, controls);

  const error = errorBox();
  const result = h("p", { class: "action-result", role: "status" });
  const save = h("button", { type: "submit" }, "Save settings");

  async function onSubmit(event) {
    event.preventDefault();
    error.show("");
    result.textContent = "";
    showFieldErrors({});
    const ticked = boxes.filter((b) => b.checked).map((b) => b.value);
    const body = {
      name: name.value.trim(),
      time_zone: timeZone.value.trim(),
      retention_days: Number(retention.value),
      email_domains: lines(domains.value),
      blocklist_terms: lines(terms.value),
      allowed_models: ticked.length ? ticked : null,
    };
    save.disabled = true;
    try {
      const saved = await api("PATCH", `/school${query({ school_id: schoolId })}`, { body });
      domains.value = saved.email_domains.join("\n");
      terms.value = saved.blocklist_terms.join("\n");
      result.textContent = "Settings saved.";
    } catch (e) {
      const messages = fieldMessages(e);
      showFieldErrors(messages);
      error.showFields(e, messages, (k) => LABELS[k]);
    } finally {
      save.disabled = false;
    }
  }

  return h(
    "section",
    { class: "narrow" },
    h("h1", {}, "School"),
    picker,
    h(
      "form",
      { onsubmit: onSubmit, "aria-label": `Settings of ${school.name}` },
      error,
      Object.values(fields),
      save,
      result,
    ),
    ...creator,
  );
}
