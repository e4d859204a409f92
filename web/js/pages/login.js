// Sign in with email and password.

import { api, ApiError } from "../api.js";
import { errorBox, field, h } from "../dom.js";
import { setSession } from "../session.js";

const MESSAGES = {
  invalid_credentials: "The email or password is not right.",
  email_not_confirmed: "Confirm your email first: follow the link we sent you.",
};

export async function render(ctx) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const error = errorBox();
  const submit = h("button", { type: "submit" }, "Sign in");

  async function onSubmit(event) {
    event.preventDefault();
    error.show("");
    submit.disabled = true;
    try {
      const session = await api("POST", "/auth/login", {
        body: { email: email.value.trim(), password: password.value },
        auth: false,
      });
      setSession(session);
      await ctx.signedIn();
      ctx.navigate("#/generate", "Welcome back.");
    } catch (e) {
      error.show((e instanceof ApiError && MESSAGES[e.code]) || e.message);
      submit.disabled = false;
    }
  }

  return h(
    "section",
    { class: "narrow" },
    h("h1", {}, "Sign in"),
    h(
      "form",
      { onsubmit: onSubmit, novalidate: false },
      error,
      field("Email", email),
      field("Password", password),
      submit,
    ),
    h("p", {}, "New here? ", h("a", { href: "#/register" }, "Create an account"), "."),
  );
}
