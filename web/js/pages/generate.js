// Create a video: model picker (from GET /models), its settings, prompt, cost, allowance (money and videos left).

import { api, ApiError } from "../api.js";
import { errorBox, field, h } from "../dom.js";
import { formatMoney, formatTime } from "../format.js";
import { paramsForm } from "../params-form.js";

const PROMPT_MAX = 2000;

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function explain(error) {
  if (!(error instanceof ApiError)) return error.message;
  switch (error.code) {
    case "budget_exceeded":
      return `${error.message} More from ${formatTime(error.details.resets_at)}.`;
    case "prompt_refused":
      return "This prompt is not allowed at school. Please rephrase it. Refused prompts are shown to your teachers.";
    case "validation_error": {
      const fields = (error.details.fields || []).map((f) => `${f.field}: ${f.message}`);
      return `Please check: ${fields.join("; ") || error.message}`;
    }
    default:
      return error.status >= 500
        ? "The video service is busy or unavailable. Nothing was charged; try again in a moment."
        : error.message;
  }
}

// Money arrives as exact decimal strings (USD); null: no limit in that scope.
function allowanceText(allowance) {
  const parts = [];
  if (allowance.videos_left_today !== null) {
    parts.push(`${allowance.videos_left_today} of ${allowance.daily_video_cap} videos`);
  }
  if (allowance.money_left_today !== null) parts.push(`$${allowance.money_left_today}`);
  const left = parts.length ? `${parts.join(" and ")} left today` : "No daily limit";
  const school = allowance.school_month_left === null
    ? "" : ` Your school has $${allowance.school_month_left} left this month.`;
  return `${left} (resets at ${formatTime(allowance.resets_at)}).${school}`;
}

export async function render(ctx) {
  const [models, allowance] = await Promise.all([
    api("GET", "/models", { auth: false }),
    api("GET", "/generations/allowance"),
  ]);
  const byKey = new Map(models.map((m) => [m.key, m]));

  const picker = h(
    "select",
    { name: "model" },
    models.map((m) => h("option", { value: m.key }, m.title)),
  );
  const description = h("p", { class: "hint", id: "model-description" });
  picker.setAttribute("aria-describedby", description.id);
  const cost = h("p", { class: "cost", id: "estimated-cost", "aria-live": "polite" });
  const paramsSlot = h("div");
  let params = null;

  function showCost(amount, note) {
    cost.replaceChildren("Estimated cost: ", h("strong", {}, amount), note);
  }

  // The API prices the chosen settings (POST /generations/estimate): prices live only there.
  let estimateTimer = null;
  let estimateSeq = 0;
  function refreshEstimate() {
    clearTimeout(estimateTimer);
    estimateTimer = setTimeout(async () => {
      const seq = ++estimateSeq;
      let values;
      try {
        values = params.values();
      } catch {
        showCost("—", " (check the settings above)");
        return;
      }
      try {
        const quote = await api("POST", "/generations/estimate", {
          body: { model: picker.value, params: values },
        });
        if (seq === estimateSeq) showCost(formatMoney(quote.cost_usd), " for these settings.");
      } catch {
        if (seq === estimateSeq) showCost("—", " (these settings are not valid)");
      }
    }, 250);
  }

  function showModel() {
    const model = byKey.get(picker.value);
    description.textContent = model.description;
    showCost(formatMoney(model.default_cost_usd), " with the default settings.");
    params = paramsForm(model.parameters);
    paramsSlot.replaceChildren(params.element);
    refreshEstimate();
  }
  picker.addEventListener("change", showModel);
  paramsSlot.addEventListener("change", refreshEstimate);
  paramsSlot.addEventListener("input", refreshEstimate);
  showModel();

  const prompt = h("textarea", { name: "prompt", rows: 4, maxlength: PROMPT_MAX, required: true });
  const counter = h("span", {}, `0 / ${PROMPT_MAX}`);
  prompt.addEventListener("input", () => (counter.textContent = `${prompt.value.length} / ${PROMPT_MAX}`));

  const allowanceLine = h("p", { class: "allowance", id: "allowance", "aria-live": "polite" }, allowanceText(allowance));
  const error = errorBox();
  const submit = h("button", { type: "submit", disabled: allowance.videos_left_today === 0 }, "Create video");
  let idempotencyKey = newKey();

  async function onSubmit(event) {
    event.preventDefault();
    error.show("");
    let values;
    try {
      values = params.values();
    } catch (e) {
      error.show(e.message);
      return;
    }
    if (!prompt.value.trim()) {
      error.show("Describe the video you want in the prompt.");
      prompt.focus();
      return;
    }
    submit.disabled = true;
    try {
      await api("POST", "/generations", {
        body: { model: picker.value, prompt: prompt.value.trim(), params: values },
        headers: { "Idempotency-Key": idempotencyKey },
      });
      idempotencyKey = newKey();
      ctx.navigate("#/videos", "Video requested: it appears below and updates by itself.");
    } catch (e) {
      error.show(explain(e));
      const fresh = await api("GET", "/generations/allowance").catch(() => null);
      if (fresh) allowanceLine.textContent = allowanceText(fresh);
      submit.disabled = fresh ? fresh.remaining <= 0 : false;
    }
  }

  const promptField = field("Prompt", prompt, "Describe the scene, up to 2000 characters.");
  promptField.querySelector(".hint").append(" ", counter);

  return h(
    "section",
    {},
    h("h1", {}, "Create a video"),
    allowanceLine,
    h(
      "form",
      { onsubmit: onSubmit, class: "generate" },
      error,
      field("Model", picker),
      description,
      promptField,
      paramsSlot,
      cost,
      submit,
    ),
  );
}
