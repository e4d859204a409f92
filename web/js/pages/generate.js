// Create a video: model picker (from GET /models), its settings, prompt, cost, allowance
// (money and videos left today), and for a student in classes the class the video is for
// (its monthly cap then applies).

import { api, ApiError } from "../api.js";
import { errorBox, field, h } from "../dom.js";
import { formatDateTime, formatMoney, formatTime } from "../format.js";
import { paramsForm } from "../params-form.js";

const PROMPT_MAX = 2000;

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A budget refusal in a pupil's words: whose money ran out, what is left, when it comes back. */
function budgetWords(details) {
  const left = formatMoney(details.remaining);
  const day = formatTime(details.resets_at);
  const month = formatDateTime(details.resets_at);
  switch (details.scope) {
    case "school_month":
      return `Your school has used up its money for videos this month: ${left} is left, not enough for this video. It starts again on ${month}.`;
    case "class_month":
      return `Your class has used up its money for videos this month: ${left} is left, not enough for this video. It starts again on ${month}. Ask your teacher, or pick no class.`;
    case "student_day":
      return `You have ${left} left to spend today, not enough for this video. Try a cheaper model or setting, or come back at ${day}.`;
    case "student_videos":
      return `You have made all the videos you can make today (${details.remaining} left). You can make more from ${day}.`;
    default:
      return null;
  }
}

function explain(error) {
  if (!(error instanceof ApiError)) return error.message;
  switch (error.code) {
    case "budget_exceeded":
      return budgetWords(error.details || {}) || `${error.message} More from ${formatTime(error.details.resets_at)}.`;
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

// Money arrives as exact decimal strings (USD); null: no limit in that scope. Both the money
// and the videos left are always said, so a pupil knows what a video may still cost.
function allowanceText(allowance) {
  const videos = allowance.videos_left_today === null
    ? "no limit on videos"
    : `${allowance.videos_left_today} of ${allowance.daily_video_cap} videos`;
  const money = allowance.money_left_today === null
    ? "no limit on money"
    : `${formatMoney(allowance.money_left_today)} of ${formatMoney(allowance.daily_money_cap)}`;
  const school = allowance.school_month_left === null
    ? "" : ` Your school has ${formatMoney(allowance.school_month_left)} left this month.`;
  return `Left today: ${videos} and ${money} (resets at ${formatTime(allowance.resets_at)}).${school}`;
}

/** Nothing more can be made today (no videos or no money left). */
function usedUp(allowance) {
  return allowance.videos_left_today === 0 || (allowance.money_left_today !== null && Number(allowance.money_left_today) <= 0);
}

export async function render(ctx) {
  const [models, allowance, classes] = await Promise.all([
    api("GET", "/models", { auth: false }),
    api("GET", "/generations/allowance"),
    // a student files a video under one of their classes (its cap applies); none: no picker
    ctx.profile.role === "student" ? api("GET", "/classes").then((p) => p.items, () => []) : [],
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
  const submit = h("button", { type: "submit", disabled: usedUp(allowance) }, "Create video");
  const classPicker = classes.length
    ? h(
        "select",
        { name: "class_id" },
        h("option", { value: "" }, "No class"),
        classes.map((k) => h("option", { value: k.id, selected: classes.length === 1 }, k.name)),
      )
    : null;
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
        body: { model: picker.value, prompt: prompt.value.trim(), params: values, class_id: classPicker?.value || undefined },
        headers: { "Idempotency-Key": idempotencyKey },
      });
      idempotencyKey = newKey();
      ctx.navigate("#/videos", "Video requested: it appears below and updates by itself.");
    } catch (e) {
      error.show(explain(e));
      const fresh = await api("GET", "/generations/allowance").catch(() => null);
      if (fresh) allowanceLine.textContent = allowanceText(fresh);
      submit.disabled = fresh ? usedUp(fresh) : false;
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
      classPicker ? field("Class", classPicker, "The video counts against this class's monthly budget.") : null,
      field("Model", picker),
      description,
      promptField,
      paramsSlot,
      cost,
      submit,
    ),
  );
}
