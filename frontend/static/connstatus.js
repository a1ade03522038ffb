// @ts-check
/**
 * The room's connection, in words (`conn.STATE`): connecting, connected, reconnecting, offline.
 * The room link (roomlink.js) calls `setConnection`; the browser's own offline/online events also feed it,
 * so a dropped hospital Wi-Fi shows "Reconnecting…" even before any media code notices.
 */

import { t } from "./i18n.js";
import { $ } from "./ui.js";

/** @typedef {import("./room-types.js").ConnectionState} ConnectionState */

/** @type {ConnectionState} */
let state = "connecting";
/** @type {ConnectionState} */
let beforeOffline = "connecting";

/** @param {ConnectionState} next */
export function setConnection(next) {
  state = next;
  const el = $("conn");
  el.dataset.state = next;
  el.textContent = t(`conn.${next}`);
}

export const connection = () => state;

/** Follow the browser's network state. */
export function watchNetwork() {
  addEventListener("offline", () => { beforeOffline = state; setConnection("reconnecting"); });
  addEventListener("online", () => {
    // A room link that was up rebuilds itself and reports "connected"; anything else goes back.
    if (beforeOffline !== "connected") setConnection(beforeOffline);
  });
}
