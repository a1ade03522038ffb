// @ts-check
/** Words for times and states, in British English. No DOM. */

/** @param {string} iso @param {string} [timeZone] */
export function time(iso, timeZone) {
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone })
    .format(new Date(iso));
}

/** "Tuesday 1 December" @param {string} iso @param {string} [timeZone] */
export function day(iso, timeZone) {
  return new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", timeZone })
    .format(new Date(iso));
}

/**
 * "today at 12:30", "tomorrow at 12:30" or "Tuesday 1 December at 12:30".
 * @param {string} iso @param {string} [timeZone] @param {Date} [now]
 */
export function when(iso, timeZone, now = new Date()) {
  const target = day(iso, timeZone);
  if (target === day(now.toISOString(), timeZone)) return `today at ${time(iso, timeZone)}`;
  const tomorrow = new Date(now.getTime() + 86400000).toISOString();
  if (target === day(tomorrow, timeZone)) return `tomorrow at ${time(iso, timeZone)}`;
  return `${target} at ${time(iso, timeZone)}`;
}

/** "2 minutes", "30 seconds", "1 minute 30 seconds". @param {number} seconds */
export function spoken(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60), r = s % 60;
  const parts = [];
  if (m) parts.push(`${m} minute${m === 1 ? "" : "s"}`);
  if (r || !m) parts.push(`${r} second${r === 1 ? "" : "s"}`);
  return parts.join(" ");
}

/** @type {Record<string, string>} */
export const SESSION_STATUS = {
  scheduled: "Scheduled",
  open: "Lobby open",
  live: "Live",
  ended: "Ended",
};

/** @type {Record<string, string>} */
export const ROLE = {
  facilitator: "Facilitator",
  "co-facilitator": "Co-facilitator",
  member: "Member",
};

/**
 * Where a session stands, for the person waiting, and whether they may go in now.
 * @param {{scheduled_start: string, status: string} | null} session
 * @param {{timeZone?: string, facilitating?: boolean, now?: Date}} [options]
 * @returns {{text: string, canEnter: boolean}}
 */
export function waiting(session, { timeZone, facilitating = false, now = new Date() } = {}) {
  if (!session) return { text: "No session is scheduled yet. Your facilitator will let you know.", canEnter: false };
  if (session.status === "ended") return { text: "This session has ended.", canEnter: false };
  if (session.status === "open" || session.status === "live") {
    return { text: session.status === "live" ? "The session has started. You can go in now."
      : "The room is open. You can go in now.", canEnter: true };
  }
  if (facilitating) {
    return { text: `The session is scheduled for ${when(session.scheduled_start, timeZone, now)}. `
      + "Open the lobby when you are ready.", canEnter: true };
  }
  if (new Date(session.scheduled_start) > now) {
    return { text: `The group opens ${when(session.scheduled_start, timeZone, now)}.`, canEnter: false };
  }
  return { text: "Waiting for the facilitator to let you in.", canEnter: false };
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
