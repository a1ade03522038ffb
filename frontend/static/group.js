// @ts-check
/** One group, `/group?id=ID`: sessions, invites, members and details, for its facilitators. */

import { ready, t } from "./i18n.js";
import { requireAccount } from "./account.js";
import { get } from "./api.js";
import { mountCalendarLink } from "./calendar-link.js";
import { mountAttendance } from "./group-attendance.js";
import { mountCheckout } from "./group-checkout.js";
import { mountDetails } from "./group-details.js";
import { mountInvites } from "./group-invites.js";
import { mountMembers } from "./group-members.js";
import { mountSeries } from "./group-series.js";
import { mountSessions } from "./group-sessions.js";
import { $, message, param, say } from "./ui.js";

await ready("common", "pages", "manage");

async function main() {
  const me = await requireAccount();
  try {
    /** @type {import("./schedule-types.js").ScheduledGroup} */
    const group = await get(`/groups/${encodeURIComponent(param("id"))}`);
    $("title").textContent = group.name;
    $("cohort").textContent = group.cohort;
    document.title = t("group.pageOf", { group: group.name });
    const archived = Boolean(group.archived_at);
    $("archived").hidden = !archived;
    for (const form of document.querySelectorAll("form")) form.hidden ||= archived;
    const reloadSessions = await mountSessions(group);
    await Promise.all([mountSeries(group, reloadSessions), mountInvites(group), mountAttendance(group),
      mountCheckout(group),
      mountMembers(group, me), mountDetails(group),
      mountCalendarLink($("calendar"), "/account/calendar", "calendar.intro.account")]);
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

main();
