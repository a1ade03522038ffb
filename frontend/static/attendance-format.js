// @ts-check
/** Dates as the attendance pages show them, in the reader's language (no DOM). */

import { locale } from "./i18n.js";

/** `3 December 2024` from `2024-12-03`. @param {string} iso */
export function longDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(locale, {
    day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}
