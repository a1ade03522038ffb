// @ts-check
/**
 * A near-peer pair's room, `/pair-room`: the two of them (the private link kept on this device
 * buys the join token), no facilitator, and a timer of their own if they want one (on this
 * page only: it tells nobody anything).
 */

import { post } from "./api.js";
import { clock } from "./roundview.js";
import { cannotEnter, enterRoom, mountRoom } from "./simple-room.js";
import { $, $as, message } from "./ui.js";
import { ready } from "./i18n.js";

const PAIR_TOKEN = "rounds.pair.token";

/** A countdown on this page; it says when the time is up and never stops anyone. */
function wireTimer() {
  const button = $as("timer", HTMLButtonElement);
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let ticking;
  const stop = () => {
    clearInterval(ticking);
    ticking = undefined;
    button.textContent = "Start the timer";
  };
  button.addEventListener("click", () => {
    if (ticking) { stop(); $("timer-left").textContent = ""; return; }
    const minutes = Math.min(180, Math.max(1, Number($as("timer-minutes", HTMLInputElement).value) || 30));
    const until = Date.now() + minutes * 60000;
    $("timer-done").textContent = "";
    button.textContent = "Stop the timer";
    const tick = () => {
      const left = Math.round((until - Date.now()) / 1000);
      $("timer-left").textContent = clock(Math.max(0, left));
      if (left <= 0) {
        stop();
        $("timer-done").textContent = "Your time is up. Finish when you are ready.";
      }
    };
    tick();
    ticking = setInterval(tick, 1000);
  });
}

async function main() {
  await ready("common", "pages");  // the shared words (dates, errors); this page's own are en-GB
  mountRoom();
  wireTimer();
  let secret = "";
  try { secret = localStorage.getItem(PAIR_TOKEN) || ""; } catch { /* nothing kept */ }
  if (!secret) return cannotEnter("Open your private pairing link on this device first.");
  try {
    /** @type {import("./pairing-types.js").MyPairing} */
    const me = await post("/pairing/me", { token: secret });
    if (me.partner) $("title").textContent = `With ${me.partner.name}`;
    const grant = () => post("/pairing/room", { token: secret });
    await enterRoom({ name: me.name, backTo: "/pair", grant,
      finalWords: { 4007: "This pairing has ended." } });
  } catch (error) {
    cannotEnter(message(error));
  }
}

main();
