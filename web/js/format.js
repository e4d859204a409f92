// Formatting numbers, money, dates and durations for display (as text, never HTML).

const money = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });

export const STATUS_LABELS = {
  queued: "Queued",
  submitted: "Submitted",
  in_progress: "In progress",
  finishing: "Saving video",
  completed: "Ready",
  failed: "Failed",
  cancelled: "Cancelled",
};
export const FINAL_STATUSES = new Set(["completed", "failed", "cancelled"]);

export function formatMoney(value) {
  return value === null || value === undefined ? "—" : money.format(Number(value));
}

export function formatDateTime(iso) {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

export function formatTime(iso) {
  return iso ? time.format(new Date(iso)) : "—";
}

export function formatSeconds(value) {
  if (value === null || value === undefined) return "—";
  const seconds = Number(value);
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function formatPercent(value) {
  return value === null || value === undefined ? "—" : `${(Number(value) * 100).toFixed(1)} %`;
}

export function formatBytes(bytes) {
  if (!bytes && bytes !== 0) return "—";
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** "2026-11-25" for a Date, in UTC (KPI days are UTC dates). */
export function isoDate(date) {
  return date.toISOString().slice(0, 10);
}
