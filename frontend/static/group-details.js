// @ts-check
/** A group's details: edit them (new ground rules get a new version), or archive the group. */

import { t } from "./i18n.js";
import { patch, post } from "./api.js";
import { $, $as, busy, say } from "./ui.js";

const FIELDS = /** @type {const} */ ([["d-name", "name"], ["d-cohort", "cohort"],
  ["d-description", "description"], ["d-size", "size_limit"], ["d-timezone", "timezone"],
  ["d-rules", "ground_rules"], ["d-window", "join_window_minutes"],
  ["d-late", "late_after_minutes"], ["d-late-join", "late_join"]]);
const NUMBERS = ["size_limit", "join_window_minutes", "late_after_minutes"];

/** @param {import("./schedule-types.js").ScheduledGroup} group */
export async function mountDetails(group) {
  const out = $("details-status");
  for (const [id, key] of FIELDS) {
    /** @type {HTMLInputElement} */ ($(id)).value = String(group[key]);
  }
  const form = $as("details-form", HTMLFormElement);
  const button = $as("details-submit", HTMLButtonElement);
  button.disabled = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(button, out, async () => {
      /** @type {Record<string, string | number>} */
      const changes = {};
      for (const [id, key] of FIELDS) {
        const value = /** @type {HTMLInputElement} */ ($(id)).value.trim();
        changes[key] = NUMBERS.includes(key) ? Number(value) : value;
      }
      /** @type {import("./types.js").Group} */
      const saved = await patch(`/groups/${group.id}`, changes);
      const bumped = saved.ground_rules_version !== group.ground_rules_version;
      Object.assign(group, saved);
      $("title").textContent = saved.name;
      say(out, bumped ? t("groupDetails.savedEveryoneWillBe")
        : t("groupDetails.saved"), "ok");
    });
  });
  const archive = $as("archive", HTMLButtonElement);
  archive.hidden = Boolean(group.archived_at);
  archive.addEventListener("click", () => busy(archive, out, async () => {
    if (!confirm(t("groupDetails.archiveConfirm", { group: group.name }))) return;
    await post(`/groups/${group.id}/archive`);
    location.reload();
  }));
}
