// @ts-check
/**
 * Who came to the group's sessions, by date, with minutes present (`GET /groups/{id}/attendance`):
 * for the group's own facilitators. An admin who does not facilitate the group is refused
 * (403 `facilitators_only`): the section then says so and shows no names.
 */

import { t } from "./i18n.js";
import { ApiError, get } from "./api.js";
import { day } from "./format.js";
import { $, h, message, say } from "./ui.js";

/** @typedef {{on_date: string, member_id: string, display_name: string, minutes: number}} Present */

/** @param {import("./types.js").Group} group */
export async function mountAttendance(group) {
  const out = $("attendance-status");
  /** @type {Present[]} */
  let present;
  try {
    present = await get(`/groups/${group.id}/attendance`);
  } catch (error) {
    $("attendance-list").hidden = true;
    const theirs = error instanceof ApiError && error.code === "facilitators_only";
    return say(out, theirs ? t("groupAttendance.onlyTheGroupS") : message(error),
      theirs ? "info" : "error");
  }
  /** @type {Map<string, Present[]>} */
  const byDate = new Map();
  for (const p of present) byDate.set(p.on_date, [...(byDate.get(p.on_date) || []), p]);
  const dates = [...byDate.keys()].sort().reverse();
  $("attendance-list").replaceChildren(...(dates.length ? dates.map((d) => {
    const people = /** @type {Present[]} */ (byDate.get(d));
    return h("li", { className: "row" }, h("strong", {}, day(`${d}T12:00:00Z`, group.timezone)),
      h("span", { className: "muted" }, ` ${people.length} came: `),
      people.map((p) => `${p.display_name} (${p.minutes} min)`).join(", "));
  }) : [h("li", { className: "muted" }, t("groupAttendance.nobodyYet"))]));
}
