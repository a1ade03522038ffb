// @ts-check
/**
 * The invite page, `/join#TOKEN`. The token is in the #fragment, so it never reaches a server
 * log; it leaves the address bar and history at once, and the tab keeps it (sessionStorage)
 * until it is used, so a reload or Back still works. A device already in the group is told so
 * and sent to the group: it never becomes a second member.
 */

import { ApiError, get, post } from "./api.js";
import { when } from "./format.js";
import { wireForget } from "./forget.js";
import { ready, t } from "./i18n.js";
import { mountLanguages } from "./languages.js";
import { displayName } from "./store.js";
import { $, $as, message, say } from "./ui.js";

/**
 * @typedef {import("./types.js").InvitePreview & {already_member?: boolean,
 *   group_id?: string | null, display_name?: string | null}} Preview
 * @typedef {import("./types.js").Joined & {already_member?: boolean}} Joining
 */

const INVITE = "rounds.invite";
const JOINED = "rounds.invite.group";

/** @param {string} key */
function kept(key) {
  try { return sessionStorage.getItem(key) || ""; } catch { return ""; }
}

/** @param {string} key @param {string} [value] stored, or removed when absent */
function keep(key, value) {
  try {
    if (value) sessionStorage.setItem(key, value);
    else sessionStorage.removeItem(key);
  } catch { /* private mode: a reload will need the link again */ }
}

/**
 * The invite token this tab opened, kept (sessionStorage, this tab only) from the moment it
 * leaves the address bar until it is used, so a reload or Back still finds it (phones reload
 * background tabs). Once used, only which group this tab joined stays, for Back.
 */
const invite = {
  get: () => kept(INVITE),
  set: (/** @type {string} */ token) => keep(INVITE, token),
  done: (/** @type {string} */ groupId) => { keep(INVITE); keep(JOINED, groupId); },
  joined: () => kept(JOINED),
  clear: () => { keep(INVITE); keep(JOINED); },
};

/** Why an invite cannot be used: its words are `refuse.CODE.title` and `refuse.CODE.text`. */
export const REASONS = ["invite_expired", "invite_revoked", "invite_used", "group_archived",
  "invite_not_found"];

/** Show why the link cannot be used. @param {string} code @param {string | null} [group] */
async function refuse(code, group) {
  invite.clear();
  const reason = REASONS.includes(code) ? code : "other";
  $("title").textContent = t(`refuse.${reason}.title`);
  const text = t(`refuse.${reason}.text`);
  say($("problem"), group ? t("refuse.withGroup", { text, group }) : text, "error");
  $("details").hidden = true;
  try {
    if ((await get("/me/memberships")).length) $("mine").hidden = $("forget-line").hidden = false;
  } catch { /* no memberships on this device */ }
}

/**
 * This device is in the group already: say so and send them to it (and its next session).
 * @param {string} group @param {string} groupId @param {string} name
 * @param {import("./types.js").SessionBrief | null} [next]
 */
function already(group, groupId, name, next) {
  invite.done(groupId);
  document.title = t("join.pageOf", { group });
  $("title").textContent = t("join.already", { group });
  $("already-who").textContent = t("join.alreadyWho", { name });
  $("already-next").textContent = next ? t("join.next", { when: when(next.scheduled_start) }) : "";
  $as("to-group", HTMLAnchorElement).href = `/lobby?group=${encodeURIComponent(groupId)}`;
  $("details").hidden = true;
  say($("status"), "");
  $("already").hidden = false;
  $("forget-line").hidden = false;
}

/** No token: Back after joining from this tab finds the group; anything else is a bad link. */
async function backAfterJoining() {
  const groupId = invite.joined();
  /** @type {import("./types.js").Membership[]} */
  const mine = groupId ? await get("/me/memberships").catch(() => []) : [];
  const m = mine.find((x) => x.group.id === groupId);
  if (!m) return refuse("invite_not_found");
  already(m.group.name, m.group.id, m.display_name, m.next_session);
}

async function main() {
  await ready("common", "pages");
  mountLanguages();
  wireForget($as("forget", HTMLButtonElement), $("status"), () => {
    $as("name", HTMLInputElement).value = "";
    $("mine").hidden = $("already").hidden = true;
  });
  $("forget-line").hidden = !displayName.get();
  const fromLink = decodeURIComponent(location.hash.slice(1)).trim();
  // Out of the address bar and history at once: on a shared ward PC the next person must not
  // find the link, whether or not this one joins. This tab keeps it until it is used (a phone
  // reloads a background tab; Back comes here again); closing the tab forgets it.
  if (fromLink) invite.set(fromLink);
  if (location.hash) history.replaceState(null, "", "/join");
  const token = fromLink || invite.get();
  if (!token) return backAfterJoining();
  /** @type {Preview} */
  let preview;
  try {
    preview = await post("/invites/resolve", { token });
  } catch (error) {
    if (error instanceof ApiError && error.code === "invite_not_found") {
      return refuse("invite_not_found");
    }
    $("title").textContent = t("join.checkFailed");
    return say($("problem"), message(error), "error");
  }
  if (preview.already_member && preview.group_id) {
    return already(preview.group_name || "", preview.group_id, preview.display_name || "",
      preview.next_session);
  }
  if (!preview.valid) return refuse(preview.reason || "invite_not_found", preview.group_name);

  document.title = t("join.pageInvited", { group: preview.group_name || "" });
  $("title").textContent = t("join.invited", { group: preview.group_name || "" });
  $("description").textContent = preview.group_description || "";
  const next = preview.next_session;
  $("next").textContent = next
    ? t("join.nextFor", { when: when(next.scheduled_start), count: next.duration_minutes })
    : t("wait.none");
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
      say($("name-error"), t("join.nameMissing"), "error");
      name.focus();
      return;
    }
    name.removeAttribute("aria-invalid");
    say($("name-error"), "");
    button.disabled = true;
    say($("status"), t("join.joining"));
    try {
      /** @type {Joining} */
      const joined = await post("/invites/accept", { token, display_name: chosen });
      invite.done(joined.group_id);
      if (joined.already_member) {
        return already(joined.group_name, joined.group_id, joined.display_name,
          preview.next_session);
      }
      displayName.set(joined.display_name);
      location.assign(`/check?group=${encodeURIComponent(joined.group_id)}`);
    } catch (error) {
      button.disabled = false;
      const code = error instanceof ApiError ? error.code : "";
      if (REASONS.includes(code)) return refuse(code, preview.group_name);
      say($("status"), message(error), "error");
    }
  });
}

addEventListener("hashchange", () => location.reload());  // another link opened in this tab
main();
