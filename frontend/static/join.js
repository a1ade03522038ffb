// @ts-check
/**
 * The invite page, `/join#TOKEN`. The token is in the #fragment, so it never reaches a server
 * log; once used it is removed from the address bar and history.
 */

import { ApiError, get, post } from "./api.js";
import { when } from "./format.js";
import { wireForget } from "./forget.js";
import { displayName } from "./store.js";
import { $, $as, message, say } from "./ui.js";

/** @type {Record<string, [string, string]>} */
export const REASONS = {
  invite_expired: ["This invite has expired",
    "Invite links work for a limited time. Ask your facilitator for a new link."],
  invite_revoked: ["This invite has been withdrawn",
    "Your facilitator has cancelled this link. Ask them for a new one if you still need to join."],
  invite_used: ["This invite has already been used",
    "Each personal link works once. If you joined on another device or browser, use that one, "
    + "or ask your facilitator for a new link."],
  group_archived: ["This group has closed",
    "The group no longer meets in Rounds. Your facilitator can tell you more."],
  invite_not_found: ["This link does not work",
    "It is not a Rounds invite, or it was copied incompletely. Open the whole link from your "
    + "facilitator's message, or ask them to send it again."],
};

/** Show why the link cannot be used. @param {string} code @param {string | null} [group] */
async function refuse(code, group) {
  const [title, text] = REASONS[code] || ["This link does not work", "Ask your facilitator for a new link."];
  $("title").textContent = title;
  say($("problem"), group ? `${text} (Group: ${group}.)` : text, "error");
  $("details").hidden = true;
  try {
    if ((await get("/me/memberships")).length) $("mine").hidden = $("forget-line").hidden = false;
  } catch { /* no memberships on this device */ }
}

async function main() {
  wireForget($as("forget", HTMLButtonElement), $("status"), () => {
    $as("name", HTMLInputElement).value = "";
    $("mine").hidden = true;
  });
  $("forget-line").hidden = !displayName.get();
  const token = decodeURIComponent(location.hash.slice(1)).trim();
  // Out of the address bar and history at once: on a shared ward PC the next person must not
  // find the link, whether or not this one joins. The page keeps it in memory only.
  if (location.hash) history.replaceState(null, "", "/join");
  if (!token) return refuse("invite_not_found");
  /** @type {import("./api.js").InvitePreview} */
  let preview;
  try {
    preview = await post("/invites/resolve", { token });
  } catch (error) {
    if (error instanceof ApiError && error.code === "invite_not_found") {
      return refuse("invite_not_found");
    }
    $("title").textContent = "We could not check this link";
    return say($("problem"), message(error), "error");
  }
  if (!preview.valid) return refuse(preview.reason || "invite_not_found", preview.group_name);

  document.title = `${preview.group_name} · Join · Rounds`;
  $("title").textContent = `You are invited to ${preview.group_name}`;
  $("description").textContent = preview.group_description || "";
  const next = preview.next_session;
  $("next").textContent = next
    ? `Next session: ${when(next.scheduled_start)}, ${next.duration_minutes} minutes.`
    : "No session is scheduled yet. Your facilitator will let you know.";
  $("rules").textContent = preview.ground_rules || "";
  $("details").hidden = false;

  const name = $as("name", HTMLInputElement);
  name.value = displayName.get();
  const form = $as("accept", HTMLFormElement);
  const button = $as("join", HTMLButtonElement);
  button.disabled = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = name.value.trim();
    if (!chosen) {
      name.setAttribute("aria-invalid", "true");
      say($("name-error"), "Enter the name the group will see.", "error");
      name.focus();
      return;
    }
    name.removeAttribute("aria-invalid");
    say($("name-error"), "");
    button.disabled = true;
    say($("status"), "Joining…");
    try {
      /** @type {import("./api.js").Joined} */
      const joined = await post("/invites/accept", { token, display_name: chosen });
      displayName.set(joined.display_name);
      location.assign(`/check?group=${encodeURIComponent(joined.group_id)}`);
    } catch (error) {
      button.disabled = false;
      const code = error instanceof ApiError ? error.code : "";
      if (code in REASONS) return refuse(code, preview.group_name);
      say($("status"), message(error), "error");
    }
  });
}

addEventListener("hashchange", () => location.reload());  // another link opened in this tab
main();
