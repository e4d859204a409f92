// The navigation's badge: how many prompts were refused since the Safety page was last
// opened in this browser (GET /safety/events/count?since=…).

import { api, query } from "./api.js";

const KEY = "videogen.safety-seen-at";

export function markSafetySeen() {
  try {
    localStorage.setItem(KEY, new Date().toISOString());
  } catch {
    // storage refused (private mode): the badge counts from the start again
  }
}

function seenAt() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** The number of unseen events, or 0 when it cannot be known. */
export async function unseenSafetyEvents() {
  const since = seenAt();
  const answer = await api("GET", `/safety/events/count${query(since ? { since } : {})}`).catch(() => null);
  return answer ? answer.count : 0;
}
