// @ts-check
/** Dates as the attendance pages show them (no DOM). */

/** `3 December 2024` from `2024-12-03`. @param {string} iso */
export function longDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-GB", {
    day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}
