// @ts-check
/**
 * What a doctor's group page (the lobby, `/lobby?group=ID`) says of the schedule: when the
 * lobby opens by itself, sessions to come that were cancelled and why, and their calendar link.
 */

import { get } from "./api.js";
import { mountCalendarLink } from "./calendar-link.js";
import { time, when } from "./format.js";
import { t } from "./i18n.js";
import { $, h } from "./ui.js";

/**
 * "The lobby opens by itself at 12:20, 10 minutes before the start." for a scheduled session.
 * @param {import("./context.js").Context} ctx
 */
export function showOpening(ctx) {
  const group = /** @type {import("./schedule-types.js").ScheduledGroup} */ (ctx.group);
  const line = $("opens");
  const s = ctx.session;
  const window = group.join_window_minutes ?? 10;
  const opens = s && s.status === "scheduled"
    ? new Date(new Date(s.scheduled_start).getTime() - window * 60000) : null;
  line.hidden = !opens || opens.getTime() < Date.now();
  if (opens && !line.hidden) {
    line.textContent = window ? t("lobby.opensAt", { time: time(opens.toISOString(), group.timezone),
      count: window }) : t("lobby.opensAtStart");
  }
}

/**
 * Cancelled sessions and the calendar link, for a member of the group on this device.
 * @param {string} groupId
 */
export async function showSchedule(groupId) {
  /** @type {import("./schedule-types.js").ScheduledMembership[]} */
  const mine = await get("/me/memberships").catch(() => []);
  const m = mine.find((x) => x.group.id === groupId);
  if (!m || m.role !== "member") return;
  const list = $("cancelled");
  list.replaceChildren(...m.cancelled.map((c) => h("li", {},
    h("strong", {}, t("lobby.cancelled", { when: when(c.scheduled_start, m.group.timezone) })),
    ` ${c.cancel_reason || ""}`)));
  list.hidden = !m.cancelled.length;
  const box = $("calendar");
  box.hidden = false;
  await mountCalendarLink(box, `/me/memberships/${encodeURIComponent(m.member_id)}/calendar`,
    "calendar.intro.group");
}
