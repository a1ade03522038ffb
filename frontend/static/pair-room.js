// @ts-check
/**
 * A near-peer pair's room, `/pair-room`: the two of them (the private link kept on this device
 * buys the join token), no facilitator, and a timer of their own if they want one (on this
 * page only: it tells nobody anything).
 */

import { post } from "./api.js";
import { clock } from "./roundview.js";
import { cannotEnter, enterRoom, mountRoom } from "./simple-room.js";
import { ready, t } from "./i18n.js";
import { $, $as, message } from "./ui.js";

const PAIR_TOKEN = "rounds.pair.token";

/** A countdown on this page; it says when the time is up and never stops anyone. */
function wireTimer() {
  const button = $as("timer", HTMLButtonElement);
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let ticking;
  const stop = () => {
    clearInterval(ticking);
    ticking = undefined;
    button.textContent = t("pairRoom.start");
  };
  button.addEventListener("click", () => {
    if (ticking) { stop(); $("timer-left").textContent = ""; return; }
    const minutes = Math.min(180, Math.max(1, Number($as("timer-minutes", HTMLInputElement).value) || 30));
    const until = Date.now() + minutes * 60000;
    $("timer-done").textContent = "";
    button.textContent = t("pairRoom.stop");
    const tick = () => {
      const left = Math.round((until - Date.now()) / 1000);
      $("timer-left").textContent = clock(Math.max(0, left));
      if (left <= 0) {
        stop();
        $("timer-done").textContent = t("pairRoom.timeUp");
      }
    };
    tick();
    ticking = setInterval(tick, 1000);
  });
}

async function main() {
  await ready("common", "pages", "room", "peer");  // room: the tiles' and the connection's words
  mountRoom();
  wireTimer();
  let secret = "";
  try { secret = localStorage.getItem(PAIR_TOKEN) || ""; } catch { /* nothing kept */ }
  if (!secret) return cannotEnter(t("pairRoom.noLink"));
  try {
    /** @type {import("./pairing-types.js").MyPairing} */
    const me = await post("/pairing/me", { token: secret });
    if (me.partner) $("title").textContent = t("pairRoom.with", { name: me.partner.name });
    const grant = () => post("/pairing/room", { token: secret });
    await enterRoom({ name: me.name, backTo: "/pair", grant,
      finalWords: { 4007: t("pairRoom.ended") } });
  } catch (error) {
    cannotEnter(message(error));
  }
}

main();
