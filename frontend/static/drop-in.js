// @ts-check
/**
 * Dropping in, `/drop-in#KEY`: the network's link. The key is in the #fragment, so it never
 * reaches a server log; this tab keeps it (sessionStorage) for a reload. Then: a room that is
 * open and a name → the ground rules, acknowledged (the same gate as a group's lobby, checked
 * by the server against the version shown) → waiting to be let in, told by the visit's event
 * stream (no polling) → the room (`/drop-in-room`). Nothing of the visit outlives this tab.
 */

import { ApiError, post } from "./api.js";
import { time, when } from "./format.js";
import { ready, t } from "./i18n.js";
import { mountLanguages } from "./languages.js";
import { $, $as, h, message, say } from "./ui.js";

const KEY = "rounds.dropin.key";
const VISIT = "rounds.dropin.visit";

/** @param {string} key @param {string} [value] kept, or removed when absent */
function keep(key, value) {
  try {
    if (value) sessionStorage.setItem(key, value);
    else sessionStorage.removeItem(key);
  } catch { /* private mode: a reload will need the link again */ }
}

/** @param {string} key */
function kept(key) {
  try { return sessionStorage.getItem(key) || ""; } catch { return ""; }
}

/** The link's key: from the address bar (then removed from it), or kept by this tab. */
function linkKey() {
  const fromHash = location.hash.slice(1);
  if (fromHash) {
    keep(KEY, fromHash);
    history.replaceState(null, "", location.pathname);
  }
  return fromHash || kept(KEY);
}

/** @param {import("./dropin-types.js").DropInRoom} room */
function times(room) {
  if (room.open_now && room.current) {
    const ends = room.current.ends_at;
    const at = time(ends, room.timezone);
    const end = when(ends, room.timezone);
    // today: the time alone ("until 13:00"); later: the day too ("until tomorrow at 01:00")
    return end === t("when.today", { time: at }) ? t("dropIn.openUntil", { time: at })
      : t("dropIn.openUntilDay", { when: end });
  }
  return room.next ? t("dropIn.next", { when: when(room.next.starts_at, room.timezone) }) : t("dropIn.noTimes");
}

/** @param {import("./dropin-types.js").NetworkPublic} network @returns {Promise<{room: string, name: string}>} */
function chooseRoom(network) {
  const open = network.rooms.filter((r) => r.open_now);
  $("rooms").replaceChildren(...network.rooms.map((room) => h("li", {},
    h("label", { className: "check" },
      h("input", { type: "radio", name: "room", value: room.id, disabled: !room.open_now,
        checked: open.length === 1 && room.open_now }),
      h("span", {}, room.name, h("span", { className: "hint" }, t("dropIn.roomHint", { times: times(room), description: room.description })))))));
  $("none-open").hidden = open.length > 0;
  $as("choose-submit", HTMLButtonElement).disabled = open.length === 0;
  const form = $as("choose", HTMLFormElement);
  form.hidden = false;
  $("name").addEventListener("input", () => say($("name-error"), ""));
  return new Promise((resolve) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = $as("name", HTMLInputElement);
      const picked = /** @type {HTMLInputElement | null} */ (form.querySelector("input[name=room]:checked"));
      if (!picked) return say($("name-error"), t("dropIn.chooseOpen"), "error");
      if (!name.value.trim()) {
        name.setAttribute("aria-invalid", "true");
        say($("name-error"), t("dropIn.nameMissing"), "error");
        name.focus();
        return;
      }
      form.hidden = true;
      resolve({ room: picked.value, name: name.value.trim() });
    });
  });
}

/** The ground rules, shown and agreed to, as in a group's lobby. @param {string} text @returns {Promise<void>} */
function agreeToRules(text) {
  const form = $as("rules-form", HTMLFormElement);
  const agree = $as("agree", HTMLInputElement);
  $("rules").textContent = text;
  form.hidden = false;
  agree.addEventListener("change", () => {
    if (agree.checked) { agree.removeAttribute("aria-invalid"); say($("agree-error"), ""); }
  });
  $("rules-heading").focus?.();
  return new Promise((resolve) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!agree.checked) {
        agree.setAttribute("aria-invalid", "true");
        say($("agree-error"), t("dropIn.agreeMissing"), "error");
        agree.focus();
        return;
      }
      form.hidden = true;
      resolve();
    });
  });
}

/**
 * Wait to be let in; resolve with the join grant once a host has.
 * @param {import("./dropin-types.js").Knocked} visit @returns {Promise<import("./types.js").JoinGrant | null>}
 */
function waitToBeLetIn(visit) {
  $("waiting").hidden = false;
  $("state").textContent = t("dropIn.letIn");
  return new Promise((resolve) => {
    const stream = new EventSource(`/api/v1/drop-in/visits/${encodeURIComponent(visit.ticket)}/events`);
    const ask = async () => {
      try {
        /** @type {import("./types.js").JoinGrant | {status: "waiting"}} */
        const answer = await post("/drop-in/visits/join", { ticket: visit.ticket });
        if ("token" in answer) { stream.close(); resolve(answer); }
      } catch (error) {
        stream.close();
        say($("problem"), message(error), "error");
        $("waiting").hidden = true;
        resolve(null);
      }
    };
    stream.addEventListener("admitted", () => void ask());
    stream.addEventListener("refused", () => void ask());
    stream.addEventListener("closed", () => {
      stream.close();
      $("waiting").hidden = true;
      say($("problem"), t("dropIn.closed"), "info");
      resolve(null);
    });
    stream.addEventListener("error", () => {
      if (stream.readyState === EventSource.CLOSED) void ask();  // gone: say why
    });
    $("stop").addEventListener("click", () => {
      stream.close();
      void post("/drop-in/visits/leave", { ticket: visit.ticket }).catch(() => null);
      $("waiting").hidden = true;
      say($("problem"), t("dropIn.stopped"), "info");
      resolve(null);
    });
  });
}

async function main() {
  await ready("common", "pages", "peer");
  mountLanguages();
  const key = linkKey();
  if (!key) {
    return say($("problem"), t("dropIn.noLink"), "error");
  }
  /** @type {import("./dropin-types.js").NetworkPublic} */
  let network;
  try {
    network = await post("/drop-in/network", { key });
  } catch (error) {
    keep(KEY);
    return say($("problem"), message(error), "error");
  }
  $("title").textContent = network.name;
  document.title = t("dropIn.pageOf", { network: network.name });
  const { room, name } = await chooseRoom(network);
  await agreeToRules(network.ground_rules);
  $("who").textContent = t("dropIn.who", { name });
  try {
    /** @type {import("./dropin-types.js").Knocked} */
    const visit = await post(`/drop-in/rooms/${encodeURIComponent(room)}/knock`,
      { key, name, ground_rules_version: network.ground_rules_version });
    const grant = await waitToBeLetIn(visit);
    if (!grant) return;
    keep(VISIT, JSON.stringify({ ticket: visit.ticket, grant, name, network: network.name }));
    $("state").textContent = t("dropIn.beingLetIn");
    location.assign("/drop-in-room");
  } catch (error) {
    if (error instanceof ApiError && error.code === "ground_rules_changed") return location.reload();
    say($("problem"), message(error), "error");
  }
}

main();
