// @ts-check
/** Words for times and states, in the reader's language (i18n.js). No DOM. */

import { locale, t } from "./i18n.js";

/** @param {string} iso @param {string} [timeZone] */
export function time(iso, timeZone) {
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone })
    .format(new Date(iso));
}

/** "Tuesday 1 December" @param {string} iso @param {string} [timeZone] */
export function day(iso, timeZone) {
  return new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", timeZone })
    .format(new Date(iso));
}

/**
 * "today at 12:30", "tomorrow at 12:30" or "Tuesday 1 December at 12:30".
 * @param {string} iso @param {string} [timeZone] @param {Date} [now]
 */
export function when(iso, timeZone, now = new Date()) {
  const target = day(iso, timeZone);
  const at = { day: target, time: time(iso, timeZone) };
  if (target === day(now.toISOString(), timeZone)) return t("when.today", at);
  const tomorrow = new Date(now.getTime() + 86400000).toISOString();
  if (target === day(tomorrow, timeZone)) return t("when.tomorrow", at);
  return t("when.day", at);
}

/** The words for a session's status ("Lobby open"). @param {string} status */
export const sessionStatus = (status) => t(`status.${status}`);

/** The roles in a group, and the words for one. */
export const ROLES = ["facilitator", "co-facilitator", "member"];
export const roleName = (/** @type {string} */ role) => t(`role.${role}`);

/**
 * Where a session stands, for the person waiting, and whether they may go in now.
 * @param {{scheduled_start: string, status: string} | null} session
 * @param {{timeZone?: string, facilitating?: boolean, now?: Date}} [options]
 * @returns {{text: string, canEnter: boolean}}
 */
export function waiting(session, { timeZone, facilitating = false, now = new Date() } = {}) {
  if (!session) return { text: t("wait.none"), canEnter: false };
  if (session.status === "ended") return { text: t("wait.ended"), canEnter: false };
  if (session.status === "open" || session.status === "live") {
    return { text: t(session.status === "live" ? "wait.live" : "wait.open"), canEnter: true };
  }
  const at = { when: when(session.scheduled_start, timeZone, now) };
  if (facilitating) return { text: t("wait.scheduled", at), canEnter: true };
  if (new Date(session.scheduled_start) > now) return { text: t("wait.opens", at), canEnter: false };
  return { text: t("wait.letIn"), canEnter: false };
}

/** An ISO time as the value of an <input type="date"> in local time. @param {string} iso */
export function dateInput(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** Local date (and time) inputs as an ISO instant. @param {string} date @param {string} [hhmm] */
export function fromInputs(date, hhmm = "00:00") {
  return new Date(`${date}T${hhmm}`).toISOString();
}
