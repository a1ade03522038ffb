// @ts-check
/**
 * A drop-in room, `/drop-in-room`: a visitor (the grant and ticket the drop-in page kept in
 * this tab) or a host (`?room=ID`, signed in). A small room without a round (simple-room.js).
 * A host also sees who is waiting and who is in, lets people in, asks someone to leave
 * (disconnected at once, their token refused from then on) and closes the room. Nothing of the
 * visit is kept: the ticket leaves this tab's storage the moment the page has read it.
 */

import { get, post } from "./api.js";
import { cannotEnter, enterRoom, mountRoom } from "./simple-room.js";
import { ready, t } from "./i18n.js";
import { $, $as, busy, h, message, param } from "./ui.js";

const VISIT = "rounds.dropin.visit";
/** The room's own words for a final close (roomlink.js speaks of sessions and facilitators). */
const final = () => /** @type {Record<string, string>} */ ({
  4007: t("dropInRoom.closedForAll"),
  4008: t("dropInRoom.asked"),
});

// ---------------------------------------------------------------- a host's controls

/** @param {string} roomId @param {import("./dropin-types.js").DropInLobby} lobby */
function showLobby(roomId, lobby) {
  const act = (/** @type {string} */ what, /** @type {import("./dropin-types.js").Visitor} */ v,
    /** @type {string} */ label, /** @type {string} */ kind) => {
    const button = h("button", { type: "button", className: kind }, t(label),
      h("span", { className: "visually-hidden" }, ` ${v.name}`));
    button.addEventListener("click", () => void busy(button, $("host-status"), async () => {
      showLobby(roomId, await post(
        `/drop-in-rooms/${encodeURIComponent(roomId)}/visits/${encodeURIComponent(v.participant_id)}/${what}`));
    }));
    return button;
  };
  $("waiting").replaceChildren(...lobby.waiting.map((v) => h("li", { className: "visitor" },
    h("span", {}, v.name), " ", act("admit", v, "dropInRoom.letIn", ""), " ", act("remove", v, "dropInRoom.turnAway", "secondary"))));
  $("nobody-waiting").hidden = lobby.waiting.length > 0;
  $("inside").replaceChildren(...lobby.inside.map((v) => h("li", { className: "visitor" },
    h("span", {}, v.name), " ", act("remove", v, "dropInRoom.askToLeave", "danger"))));
  $("nobody-inside").hidden = lobby.inside.length > 0;
  if (lobby.waiting.length) $("announce").textContent = t("dropInRoom.waiting", { count: lobby.waiting.length });
}

/** @param {string} roomId */
function wireHost(roomId) {
  $("host").hidden = false;
  const stream = new EventSource(`/api/v1/drop-in-rooms/${encodeURIComponent(roomId)}/events`);
  stream.addEventListener("lobby", (e) => showLobby(roomId, JSON.parse(/** @type {MessageEvent} */ (e).data)));
  stream.addEventListener("closed", () => stream.close());
  const close = $as("close-room", HTMLButtonElement);
  close.addEventListener("click", () => void busy(close, $("host-status"), async () => {
    if (!confirm(t("dropInRoom.closeConfirm"))) return;
    stream.close();
    await post(`/drop-in-rooms/${encodeURIComponent(roomId)}/close`);
  }));
}

/** @param {string} roomId */
async function host(roomId) {
  /** @type {import("./types.js").Account} */
  const me = await get("/auth/me");
  $("title").textContent = t("dropInRoom.hosting");
  const renew = () => post(`/drop-in-rooms/${encodeURIComponent(roomId)}/host`);
  await enterRoom({ name: me.display_name, backTo: "/networks", finalWords: final(),
    onFinal: () => { $("host").hidden = true; },
    grant: async () => { const first = await renew(); wireHost(roomId); return first; }, renew });
}

async function visit() {
  let kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(VISIT) || "null");
    sessionStorage.removeItem(VISIT);  // nothing of the visit stays in the tab
  } catch { /* nothing kept */ }
  if (!kept) {
    $("title").textContent = t("dropIn.title");
    return cannotEnter(t("dropInRoom.noVisit"));
  }
  $("title").textContent = kept.network;
  document.title = t("dropIn.pageOf", { network: kept.network });
  await enterRoom({ name: kept.name, backTo: "/drop-in", finalWords: final(),
    grant: async () => kept.grant,
    renew: () => post("/drop-in/visits/join", { ticket: kept.ticket }) });
}

async function main() {
  await ready("common", "pages", "room", "peer");  // room: the tiles' and the connection's words
  mountRoom();
  const roomId = param("room");
  try {
    await (roomId ? host(roomId) : visit());
  } catch (error) {
    cannotEnter(message(error));
  }
}

main();
