// @ts-check
/**
 * Who is waiting in a session's lobby, with a "Let in" button each (facilitators only).
 * Reads `GET /sessions/{id}/state` every 5 seconds while its list is on the page; letting in
 * is `POST /sessions/{id}/lobby/{member}/admit`. (The room will offer the same over its socket.)
 */

import { get, post } from "./api.js";
import { busy, h, say } from "./ui.js";

const POLL_MS = 5000;

/**
 * Show and keep showing the lobby of an open or live session in `list`.
 * @param {string} sessionId @param {HTMLElement} list @param {HTMLElement} out
 */
export function watchLobby(sessionId, list, out) {
  let shown = "";
  const refresh = async () => {
    if (!list.isConnected) return;  // the row was redrawn: this watcher ends
    try {
      /** @type {{live: boolean, state: {lobby?: {participant_id: string, name: string | null}[]} | null}} */
      const view = await get(`/sessions/${sessionId}/state`);
      const waiting = view.state?.lobby || [];
      const key = JSON.stringify(waiting);
      if (key !== shown) {
        shown = key;
        list.replaceChildren(...(waiting.length ? waiting.map((p) => item(p.participant_id, p.name || "Someone"))
          : [h("li", { className: "muted" }, "Nobody is waiting to come in.")]));
      }
    } catch { /* not live yet, or a network blip: try again */ }
    if (!document.hidden) setTimeout(refresh, POLL_MS);
    else document.addEventListener("visibilitychange", refresh, { once: true });
  };

  /** @param {string} memberId @param {string} name */
  function item(memberId, name) {
    const button = h("button", { type: "button" }, `Let ${name} in`);
    button.addEventListener("click", () => busy(button, out, async () => {
      await post(`/sessions/${sessionId}/lobby/${memberId}/admit`);
      say(out, `${name} has been let in.`, "ok");
      shown = "";
      button.closest("li")?.remove();
    }));
    return h("li", { className: "waiting" }, h("span", {}, `${name} is waiting`), button);
  }

  setTimeout(refresh, 0);  // once the list is on the page
}
