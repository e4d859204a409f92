// Actions on a job that ask for a reason in a modal dialog: an admin's "Re-check now" and
// "Fail and refund…" on a stuck job, a teacher's "Hide…" on a student's video. Results go
// to the page's live region; focus is managed.

import { api } from "./api.js";
import { errorBox, field, h, uid } from "./dom.js";
import { shortPrompt } from "./job-card.js";

export const REASON_MAX = 500;

const FAL_ANSWERS = {
  IN_QUEUE: "still in its queue",
  IN_PROGRESS: "running",
  COMPLETED: "finished",
  CANCELLATION_REQUESTED: "asked to cancel its request",
  ALREADY_COMPLETED: "had already finished the request",
  NOT_FOUND: "did not know the request",
  unreachable: "could not be reached to cancel the request",
  refused: "refused to cancel the request",
};

const RECHECK_OUTCOMES = {
  still_queued: "fal has it in its queue; nothing changed.",
  in_progress: "fal is running it.",
  finished_finishing: "fal finished it: the video is being saved.",
  finished_failed: "fal had failed it: the job failed and its budget reservation was released.",
  finished_cancelled: "fal had cancelled it: its budget reservation was released.",
  finished_duplicate: "it had already been settled.",
  copy_requeued: "the video copy was queued again.",
  not_submitted: "fal never confirmed the submission, so there is nothing to ask about; fail it if it stays.",
};

/** What an admin action's answer says, in one sentence. */
export function describe(answer) {
  const job = `“${shortPrompt(answer.job.prompt, 40)}”`;
  const { action } = answer;
  if (action.action === "fail") {
    if (answer.replayed) return `${job} had already been failed with this reason; nothing changed.`;
    const fal = action.fal_answer ? ` fal ${FAL_ANSWERS[action.fal_answer] || action.fal_answer}.` : "";
    return `Failed ${job} and released its budget reservation.${fal}`;
  }
  return `Re-checked ${job}: ${RECHECK_OUTCOMES[action.outcome] || action.outcome}`;
}

/**
 * A modal dialog asking for a reason (1 to REASON_MAX characters), one per page and kind.
 * `send(job, reason)` makes the request; `open(job, opener)` resolves with its answer, or
 * null when dismissed; focus goes to the reason, and back to `opener` after.
 */
export function reasonDialog({ title, submitLabel, hint, send }) {
  const titleId = uid("dialog-title");
  const reason = h("textarea", { name: "reason", rows: 3, maxlength: REASON_MAX, required: true });
  const jobText = h("p", { class: "dialog-job" });
  const error = errorBox();
  const submit = h("button", { type: "submit" }, submitLabel);
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const form = h(
    "form",
    { method: "dialog", novalidate: true },
    jobText,
    field("Reason", reason, hint),
    error,
    h("div", { class: "actions" }, submit, cancel),
  );
  const dialog = h(
    "dialog",
    { class: "dialog", "aria-labelledby": titleId },
    h("h2", { id: titleId }, title),
    form,
  );

  let current = null; // {job, resolve, opener}
  function close(answer) {
    if (!current) return;
    const { resolve, opener } = current;
    current = null;
    if (dialog.open) dialog.close();
    resolve(answer);
    if (answer === null && opener && opener.isConnected) opener.focus();
  }
  cancel.addEventListener("click", () => close(null));
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape: close through the same path (focus back to the opener)
    close(null);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = reason.value.trim();
    if (!text || text.length > REASON_MAX) {
      error.show(`Give a reason of 1 to ${REASON_MAX} characters.`);
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return;
    }
    reason.removeAttribute("aria-invalid");
    error.show("");
    submit.disabled = true;
    try {
      close(await send(current.job, text));
    } catch (e) {
      error.show(e.message);
      reason.focus();
    } finally {
      submit.disabled = false;
    }
  });

  return {
    element: dialog,
    open(job, opener) {
      return new Promise((resolve) => {
        current = { job, resolve, opener };
        jobText.textContent = `Job: ${shortPrompt(job.prompt, 120)}`;
        reason.value = "";
        reason.removeAttribute("aria-invalid");
        error.show("");
        dialog.showModal();
        reason.focus();
      });
    },
  };
}

/** The "Fail and refund" dialog (admins, stuck jobs). */
export function failDialog() {
  return reasonDialog({
    title: "Fail and refund this job",
    submitLabel: "Fail and refund",
    hint: `Shown to the job's owner as its error, and kept in the audit log (at most ${REASON_MAX} characters).`,
    send: (job, reason) => api("POST", `/admin/jobs/${job.id}/fail`, { body: { reason } }),
  });
}

/** The "Hide video" dialog (a teacher or school admin, a student's video). */
export function hideDialog() {
  return reasonDialog({
    title: "Hide this video",
    submitLabel: "Hide video",
    hint: `Shown to the student, who can no longer play or download the video; kept in the school's activity log (at most ${REASON_MAX} characters).`,
    send: (job, reason) => api("POST", `/generations/${job.id}/hide`, { body: { reason } }),
  });
}

/** Shows a hidden video to its student again; the API's answer (throws ApiError). */
export function unhide(job) {
  return api("POST", `/generations/${job.id}/unhide`);
}

/** Asks fal about the job now; the API's answer (throws ApiError). */
export function recheck(job) {
  return api("POST", `/admin/jobs/${job.id}/recheck`);
}
