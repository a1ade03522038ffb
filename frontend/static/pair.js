// @ts-check
/**
 * A person's own pairing page, `/pair` (`/pair#TOKEN` the first time): waiting to be matched,
 * or their partner, the pair's room, their next meeting (with a calendar file) and ending the
 * pairing. The token moves from the address bar to this device's storage at once.
 */

import { ApiError, post } from "./api.js";
import { dateInput, fromInputs, when } from "./format.js";
import { ready, t } from "./i18n.js";
import { mountLanguages } from "./languages.js";
import { $, $as, busy, message, say } from "./ui.js";

const PAIR_TOKEN = "rounds.pair.token";

/** The private token: from the address bar (then kept on this device), or kept before. */
function token() {
  const fromHash = location.hash.slice(1);
  try {
    if (fromHash) localStorage.setItem(PAIR_TOKEN, fromHash);
    history.replaceState(null, "", location.pathname);
    return fromHash || localStorage.getItem(PAIR_TOKEN) || "";
  } catch {
    return fromHash;
  }
}

function forget() {
  try { localStorage.removeItem(PAIR_TOKEN); } catch { /* nothing kept */ }
}

/** @param {string} secret @param {import("./pairing-types.js").MyPairing} me */
function show(secret, me) {
  $("title").textContent = me.scheme;
  document.title = t("pairing.pageOf", { scheme: me.scheme });
  $("waiting").hidden = me.status !== "waiting";
  $("paired").hidden = me.status !== "paired";
  if (!me.partner) return;
  $("partner-heading").textContent = t("pair.pairedWith", { name: me.partner.name });
  $("partner-about").textContent = t("pair.about", { specialty: me.partner.specialty, site: me.partner.site });
  const ics = $as("ics", HTMLAnchorElement);
  if (me.next_meeting) {
    $("meeting").textContent = t("pair.meeting",
      { when: when(me.next_meeting.starts_at), count: me.next_meeting.minutes });
    ics.href = `/api/v1/pairing/calendar/${encodeURIComponent(secret)}.ics`;
    ics.hidden = false;
    $as("m-date", HTMLInputElement).value = dateInput(me.next_meeting.starts_at);
  } else {
    $("meeting").textContent = t("pair.noMeeting");
    ics.hidden = true;
  }
}

/** @param {unknown} error */
function ended(error) {
  if (error instanceof ApiError && error.code === "pairing_link_unknown") {
    forget();
    $("waiting").hidden = true;
    $("paired").hidden = true;
    say($("status"), t("pair.ended"), "ok");
    return true;
  }
  return false;
}

async function main() {
  await ready("common", "pages", "peer");
  mountLanguages();
  const fresh = Boolean(location.hash.slice(1));
  const secret = token();
  if (!secret) return say($("problem"), t("pair.noLink"), "error");
  if (fresh) {
    $as("my-link", HTMLInputElement).value = `${location.origin}/pair#${secret}`;
    $("keep").hidden = false;
  }
  try {
    show(secret, await post("/pairing/me", { token: secret }));
  } catch (error) {
    if (!ended(error)) say($("problem"), message(error), "error");
    return;
  }
  document.addEventListener("visibilitychange", () => {  // matched, or ended, meanwhile
    if (document.hidden) return;
    post("/pairing/me", { token: secret }).then((me) => show(secret, me)).catch((e) => void ended(e));
  });
  const form = $as("meeting-form", HTMLFormElement);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const day = $as("m-date", HTMLInputElement).value;
    const at = $as("m-time", HTMLInputElement).value;
    if (!day || !at) return say($("meeting-status"), t("pair.chooseTime"), "error");
    void busy($as("meeting-submit", HTMLButtonElement), $("meeting-status"), async () => {
      show(secret, await post("/pairing/meeting", { token: secret,
        starts_at: fromInputs(day, at),
        minutes: Number($as("m-minutes", HTMLInputElement).value || 30) }));
      say($("meeting-status"), t("pair.saved"), "ok");
    });
  });
  const end = async (/** @type {HTMLButtonElement} */ button, /** @type {string} */ question) => {
    if (!confirm(question)) return;
    await busy(button, $("problem"), async () => {
      await post("/pairing/end", { token: secret });
      forget();
      $("waiting").hidden = true;
      $("paired").hidden = true;
      $("keep").hidden = true;
      say($("status"), t("pair.ended"), "ok");
    });
  };
  $("end").addEventListener("click", () => void end($as("end", HTMLButtonElement),
    t("pair.endConfirm")));
  $("withdraw").addEventListener("click", () => void end($as("withdraw", HTMLButtonElement),
    t("pair.withdrawConfirm")));
}

main();
