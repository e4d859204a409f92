// My videos: the caller's generations, updating themselves while any is unfinished.

import { api } from "../api.js";
import { h } from "../dom.js";
import { FINAL_STATUSES, STATUS_LABELS } from "../format.js";
import { jobCard, shortPrompt } from "../job-card.js";
import { loadMore } from "../paging.js";

const POLL_MS = 2500;
const PAGE_SIZE = 20;

export async function render(ctx) {
  const [models, first] = await Promise.all([
    api("GET", "/models", { auth: false }).catch(() => []),
    api("GET", `/generations?limit=${PAGE_SIZE}`),
  ]);
  const titles = new Map(models.map((m) => [m.key, m.title]));
  const modelTitle = (key) => titles.get(key) || key;

  const list = h("div", { class: "jobs", id: "jobs" });
  const empty = h("p", { class: "empty" }, "No videos yet. ", h("a", { href: "#/generate" }, "Create your first one"), ".");
  const cards = new Map(); // job id -> {job, el}
  let timer = null;
  let stopped = false;

  const actions = {
    async onCancel(job, card) {
      try {
        const updated = await api("POST", `/generations/${job.id}/cancel`);
        upsert(updated);
        const done = updated.status === "cancelled";
        ctx.announce(`${done ? "Cancelled" : "Cancel requested"}: ${shortPrompt(job.prompt, 40)}`);
        if (!done) schedule();
      } catch (e) {
        card.showError(e.message);
      }
    },
    async onRetry(job, card) {
      try {
        const fresh = await api("POST", `/generations/${job.id}/retry`);
        upsert(fresh, { prepend: true });
        ctx.announce(`Retrying: ${shortPrompt(job.prompt, 40)}`);
        schedule();
      } catch (e) {
        card.showError(e.message);
      }
    },
    onExpired: (job) => api("GET", `/generations/${job.id}`),
  };

  function upsert(job, { prepend = false } = {}) {
    const known = cards.get(job.id);
    if (known) {
      const changed =
        known.job.status !== job.status ||
        Boolean(known.job.video) !== Boolean(job.video) ||
        known.job.hidden !== job.hidden;
      if (!changed) return;
      const el = jobCard(job, { actions, modelTitle });
      known.el.replaceWith(el);
      cards.set(job.id, { job, el });
      if (FINAL_STATUSES.has(job.status)) {
        ctx.announce(`${STATUS_LABELS[job.status]}: ${shortPrompt(job.prompt, 40)}`);
      }
      return;
    }
    const el = jobCard(job, { actions, modelTitle });
    cards.set(job.id, { job, el });
    if (prepend) list.prepend(el);
    else list.append(el);
    empty.hidden = true;
  }

  function unfinished() {
    return [...cards.values()].some(({ job }) => !FINAL_STATUSES.has(job.status));
  }

  async function poll() {
    timer = null;
    if (stopped) return;
    if (!document.hidden) {
      try {
        const limit = Math.min(100, Math.max(PAGE_SIZE, cards.size));
        const page = await api("GET", `/generations?limit=${limit}`);
        if (stopped) return;
        // Newest first: unknown jobs (made in another tab) go on top, in order.
        [...page.items].reverse().forEach((job) => upsert(job, { prepend: !cards.has(job.id) }));
      } catch {
        // A missed poll is retried at the next tick.
      }
    }
    schedule();
  }

  function schedule() {
    if (!stopped && !timer && unfinished()) timer = setTimeout(poll, POLL_MS);
  }

  const more = loadMore(
    ctx,
    first.next_cursor,
    (cursor) => api("GET", `/generations?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(cursor)}`),
    (page) => {
      page.items.forEach((job) => upsert(job));
      schedule();
    },
  );

  first.items.forEach((job) => upsert(job));
  empty.hidden = cards.size > 0;
  schedule();
  ctx.onLeave(() => {
    stopped = true;
    clearTimeout(timer);
  });

  return h(
    "section",
    {},
    h("div", { class: "title-row" }, h("h1", {}, "My videos"), h("a", { class: "button", href: "#/generate" }, "Create a video")),
    h("p", { class: "hint" }, "Videos update by themselves while they are being made."),
    empty,
    list,
    more,
  );
}
