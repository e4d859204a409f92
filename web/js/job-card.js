// One generation as a card: prompt, status, details, the video and its actions.

import { h } from "./dom.js";
import { FINAL_STATUSES, STATUS_LABELS, formatBytes, formatDateTime, formatMoney, formatSeconds } from "./format.js";

export function shortPrompt(prompt, length = 80) {
  return prompt.length > length ? `${prompt.slice(0, length - 1)}…` : prompt;
}

// The job stays after its video is deleted (the school's retention, issue 15): say so.
export function videoDeletedText(deleted) {
  const when = formatDateTime(deleted.deleted_at);
  if (deleted.kept_days === null) return `Video deleted on ${when}.`;
  const days = deleted.kept_days === 1 ? "1 day" : `${deleted.kept_days} days`;
  return `Video deleted after ${days}, as your school keeps videos (deleted on ${when}).`;
}

function detail(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

/**
 * A card for `job`. `actions` = {onCancel(job), onRetry(job), onExpired(job) -> fresh job,
 * and for a teacher's view onHide(job, button), onUnhide(job, button)}, `modelTitle(key)`
 * names the model. `student` (a teacher's view) names whose video it is.
 */
export function jobCard(job, { actions, modelTitle, student = null }) {
  const card = h("article", {
    class: job.hidden ? "job job-hidden" : "job",
    "data-job-id": job.id,
    "data-status": job.status,
  });
  const label = job.hidden ? "Hidden" : STATUS_LABELS[job.status] || job.status;
  const status = h(
    "p",
    { class: `status status-${job.hidden ? "hidden" : job.status}` },
    job.cancel_requested && !FINAL_STATUSES.has(job.status) ? `${label} (cancel requested)` : label,
  );
  const message = h("p", { class: "error", role: "alert", hidden: true });
  card.showError = (text) => {
    message.textContent = text;
    message.hidden = !text;
  };

  const details = h(
    "dl",
    { class: "details" },
    student ? detail("Student", student) : null,
    detail("Model", modelTitle(job.model)),
    detail("Requested", formatDateTime(job.created_at)),
    detail("Cost estimate", formatMoney(job.cost_estimate_usd)),
    job.duration_seconds !== null ? detail("Took", formatSeconds(job.duration_seconds)) : null,
    job.video ? detail("Size", formatBytes(job.video.size_bytes)) : null,
  );

  const buttons = h("div", { class: "actions" });
  if (job.status === "completed" && job.video) {
    const player = h("video", {
      controls: true,
      preload: "metadata",
      src: job.video.url,
      "aria-label": `Video: ${shortPrompt(job.prompt)}`,
    });
    player.addEventListener("error", async () => {
      // The signed URL may have expired while the page stayed open: fetch a fresh one.
      if (Date.parse(job.video.expires_at) > Date.now() + 5000) return;
      const fresh = await actions.onExpired(job).catch(() => null);
      if (fresh && fresh.video) {
        job = fresh;
        player.src = fresh.video.url;
      }
    });
    card.append(player);
    const download = h(
      "a",
      { class: "button secondary", href: job.video.url, download: `videogen-${job.id}.mp4` },
      "Download",
      h("span", { class: "visually-hidden" }, ` ${shortPrompt(job.prompt, 40)}`),
    );
    download.addEventListener("click", async (event) => {
      if (Date.parse(job.video.expires_at) > Date.now() + 10_000) return;
      event.preventDefault();
      const fresh = await actions.onExpired(job).catch(() => null);
      if (fresh && fresh.video) {
        job = fresh;
        download.href = fresh.video.url;
        location.assign(fresh.video.url);
      }
    });
    buttons.append(download);
  }
  // fal can cancel only what it has not started: offer it while the job waits in its queue.
  if ((job.status === "queued" || job.status === "submitted") && !job.cancel_requested && actions.onCancel) {
    buttons.append(h("button", { type: "button", class: "secondary", onclick: () => actions.onCancel(job, card) }, "Cancel"));
  }
  if ((job.status === "failed" || job.status === "cancelled") && actions.onRetry) {
    buttons.append(h("button", { type: "button", onclick: () => actions.onRetry(job, card) }, "Retry"));
  }
  if (actions.onHide && !job.hidden) {
    const hide = h("button", { type: "button", class: "secondary" }, "Hide…");
    hide.append(h("span", { class: "visually-hidden" }, ` ${shortPrompt(job.prompt, 40)}`));
    hide.addEventListener("click", () => actions.onHide(job, hide));
    buttons.append(hide);
  }
  if (actions.onUnhide && job.hidden) {
    const show = h("button", { type: "button", class: "secondary" }, "Show again");
    show.append(h("span", { class: "visually-hidden" }, ` ${shortPrompt(job.prompt, 40)}`));
    show.addEventListener("click", () => actions.onUnhide(job, show));
    buttons.append(show);
  }

  const parts = [
    h("h2", { class: "prompt" }, shortPrompt(job.prompt)),
    status,
    job.prompt.length > 80 ? h("p", { class: "full-prompt" }, job.prompt) : null,
    job.error ? h("p", { class: "job-error" }, `Problem: ${job.error}`) : null,
    job.hidden
      ? h(
          "p",
          { class: "hidden-note" },
          student ? "Hidden from the student: " : "Hidden by your teacher: ",
          job.hidden_reason || "",
        )
      : null,
    job.video_deleted ? h("p", { class: "video-deleted" }, videoDeletedText(job.video_deleted)) : null,
    details,
    buttons,
    message,
  ];
  card.append(...parts.filter(Boolean));
  // The video goes first visually; move it after the heading for reading order.
  const player = card.querySelector("video");
  if (player) card.insertBefore(player, details);
  return card;
}
