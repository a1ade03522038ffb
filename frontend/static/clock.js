// @ts-check
/** The round's clock in words: all the room page needs of format.js (kept small for phones). */

/** "4:05" for 245 seconds; "-0:30" past zero. @param {number} seconds */
export function clock(seconds) {
  const sign = seconds < 0 ? "-" : "";
  const s = Math.abs(Math.round(seconds));
  return `${sign}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const MILESTONES = /** @type {const} */ ([[60, "1 minute left"], [30, "30 seconds left"],
  [0, "Time is up. Finish when you are ready."]]);

/**
 * The clock milestone crossed between two readings of the seconds left, or "".
 * Overrun is a gentle word, never a cut-off.
 * @param {number} before @param {number} after
 */
export function milestone(before, after) {
  for (const [at, words] of MILESTONES) if (before > at && after <= at) return words;
  return "";
}
