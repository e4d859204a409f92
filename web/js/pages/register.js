// Create an account: a student of a class (its code), a teacher (a school admin's invite
// link, #/register?invite=… or ?invite=…), or, where the deployment allows it, a student of
// its default school.

import { api, ApiError } from "../api.js";
import { errorBox, field, h } from "../dom.js";
import { setSession } from "../session.js";

const REASONS = {
  length: "at least 8 characters",
  characters: "letters and digits",
};

function explain(error) {
  if (!(error instanceof ApiError)) return error.message;
  if (error.code === "invalid_email") return "This email address does not look valid.";
  if (error.code === "weak_password") {
    const reasons = (error.details.reasons || []).map((r) => REASONS[r] || r);
    return `Choose a stronger password${reasons.length ? `: ${reasons.join(", ")}` : ""}.`;
  }
  if (error.code === "validation_error") {
    const fields = (error.details.fields || []).map((f) => `${f.field}: ${f.message}`);
    return `Please check the form. ${fields.join("; ")}`;
  }
  return error.message;
}

export async function render(ctx) {
  const name = h("input", { type: "text", name: "display_name", autocomplete: "nickname", required: true, maxlength: 100 });
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true, maxlength: 254 });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "new-password",
    required: true,
    minlength: 8,
  });
  const invite = ctx.params.get("invite") || new URLSearchParams(location.search).get("invite");
  const classCode = h("input", {
    type: "text",
    name: "join_code",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    maxlength: 32,
    class: "code-input",
  });
  const error = errorBox();
  const submit = h("button", { type: "submit" }, "Create account");

  async function onSubmit(event) {
    event.preventDefault();
    error.show("");
    submit.disabled = true;
    try {
      const credentials = { email: email.value.trim(), password: password.value };
      // The answer is the same whether or not the email already had an account (no
      // enumeration); without confirmation, signing in with the new password tells which.
      const body = { ...credentials, display_name: name.value.trim() };
      if (invite) body.invite_token = invite;
      else if (classCode.value.trim()) body.join_code = classCode.value.trim();
      const result = await api("POST", "/auth/register", { body, auth: false });
      if (result.confirmation_required) {
        ctx.navigate("#/login", "Check your email: confirm your address, then sign in.");
        return;
      }
      let session;
      try {
        session = await api("POST", "/auth/login", { body: credentials, auth: false });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === "invalid_credentials")) throw e;
        ctx.navigate("#/login", "This email already has an account: sign in with its password.");
        return;
      }
      setSession(session);
      await ctx.signedIn();
      ctx.navigate("#/generate", "Your account is ready.");
    } catch (e) {
      error.show(explain(e));
      submit.disabled = false;
    }
  }

  return h(
    "section",
    { class: "narrow" },
    h("h1", {}, "Create an account"),
    h(
      "form",
      { onsubmit: onSubmit },
      error,
      field("Display name", name, "Shown to your teachers."),
      field("Email", email),
      field("Password", password, "At least 8 characters, with letters and digits."),
      invite
        ? h("p", { class: "hint" }, "You are joining your school as a teacher (invitation link).")
        : field("Class code (optional)", classCode, "From your teacher, like 7K3M-Q9TX."),
      submit,
    ),
    h("p", {}, "Already registered? ", h("a", { href: "#/login" }, "Sign in"), "."),
  );
}
