// The signed-in session: kept in memory and mirrored to sessionStorage.
//
// sessionStorage survives a reload of this tab but not closing it, and is not shared with
// other tabs; unlike cookies it is never sent by the browser on its own (no CSRF). Like any
// script-readable storage it is exposed if script injection ever succeeds, which is why the
// client never turns data into HTML and the page ships a strict Content-Security-Policy.

const KEY = "videogen.session";
const listeners = new Set();
let current = read();

function read() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    return saved && saved.access_token && saved.refresh_token ? saved : null;
  } catch {
    return null;
  }
}

/** The session ({access_token, refresh_token, expires_at, user}) or null. */
export function getSession() {
  return current;
}

export function setSession(session) {
  current = {
    access_token: session.access_token,
    refresh_token: session.refresh_token,
    expires_at: session.expires_at,
    user: session.user,
  };
  sessionStorage.setItem(KEY, JSON.stringify(current));
  listeners.forEach((listener) => listener(current));
}

export function clearSession() {
  current = null;
  sessionStorage.removeItem(KEY);
  listeners.forEach((listener) => listener(null));
}

/** Calls listener(session|null) whenever the session changes. */
export function onSessionChange(listener) {
  listeners.add(listener);
}
