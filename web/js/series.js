// Day series for the KPI pages: the API sends only days with activity; charts want every day.

/** Every day from `from` to `to` (YYYY-MM-DD, both included). */
export function daysBetween(from, to) {
  const days = [];
  for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1)) {
    days.push(d.toISOString().slice(0, 10));
  }
  return days;
}

/** The sum of `key` over `rows` (missing or non-numeric values count as 0). */
export function sum(rows, key) {
  return rows.reduce((total, row) => total + (Number(row[key]) || 0), 0);
}
