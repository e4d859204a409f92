// The API client: JSON in and out, the bearer token, one refresh on an expired token.

import config from "../config.js";
import { clearSession, getSession, setSession } from "./session.js";

const BASE_URL = String(config.apiBaseUrl || "").replace(/\/+$/, "");

/** An error answer of the API: {error: {code, message, details?}}. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

let refreshing = null;

/** Trades the refresh token once, however many requests found the token expired. */
function refreshSession() {
  refreshing ||= (async () => {
    const session = getSession();
    try {
      const fresh = await send("POST", "/auth/refresh", {
        body: { refresh_token: session.refresh_token },
        auth: false,
      });
      setSession(fresh);
      return true;
    } catch {
      clearSession();
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function send(method, path, { body, auth = true, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const session = getSession();
  if (auth && session) init.headers.Authorization = `Bearer ${session.access_token}`;

  let response;
  try {
    response = await fetch(BASE_URL + path, init);
  } catch {
    throw new ApiError(0, "network_error", "The server cannot be reached. Check your connection.");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const error = data && data.error ? data.error : {};
  throw new ApiError(
    response.status,
    error.code || "http_error",
    error.message || `The server answered ${response.status}.`,
    error.details,
  );
}

/**
 * One API call. A 401 `token_expired` refreshes the session once and repeats the call;
 * a session that cannot be refreshed is cleared (the app then shows the sign-in page).
 */
export async function api(method, path, options = {}) {
  try {
    return await send(method, path, options);
  } catch (error) {
    const canRefresh = options.auth !== false && getSession();
    if (error instanceof ApiError && error.status === 401 && canRefresh) {
      if (error.code === "token_expired" && (await refreshSession())) {
        return send(method, path, options);
      }
      if (error.code !== "token_expired") clearSession();
    }
    throw error;
  }
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) value.forEach((one) => search.append(key, one)); // ?role=a&role=b
    else if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
