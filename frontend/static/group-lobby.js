// @ts-check
/**
 * Who is waiting in a session's lobby, with a "Let in" button each (facilitators only).
 * Follows the session's event stream (`GET /sessions/{id}/events`, `lobby` events: no
 * polling); letting in is `POST /sessions/{id}/lobby/{member}/admit` (the room offers the same).
 */

import { t } from "./i18n.js";
import { post } from "./api.js";
import { busy, h, say } from "./ui.js";

/** The open stream of each session shown. @type {Map<string, EventSource>} */
const streams = new Map();

/**
 * Show and keep showing the lobby of an open or live session in `list`.
 * @param {string} sessionId @param {HTMLElement} list @param {HTMLElement} out
 */
export function watchLobby(sessionId, list, out) {
  let shown = "";
  streams.get(sessionId)?.close();  // the row was redrawn: its old watcher ends
  const stream = new EventSource(`/api/v1/sessions/${sessionId}/events`);
  streams.set(sessionId, stream);
  stream.addEventListener("lobby", (e) => {
    /** @type {{waiting: {participant_id: string, name: string | null}[]}} */
    const { waiting } = JSON.parse(/** @type {MessageEvent} */ (e).data);
    const key = JSON.stringify(waiting);
    if (key === shown) return;
    shown = key;
    list.replaceChildren(...(waiting.length ? waiting.map((p) => item(p.participant_id, p.name || t("groupLobby.someone")))
      : [h("li", { className: "muted" }, t("groupLobby.nobodyIsWaitingTo"))]));
  });
  stream.addEventListener("session", (e) => {
    if (JSON.parse(/** @type {MessageEvent} */ (e).data).status === "ended") stream.close();
  });

  /** @param {string} memberId @param {string} name */
  function item(memberId, name) {
    const button = h("button", { type: "button" }, t("groupLobby.letIn", { name }));
    button.addEventListener("click", () => busy(button, out, async () => {
      await post(`/sessions/${sessionId}/lobby/${memberId}/admit`);
      say(out, t("groupLobby.letInDone", { name }), "ok");
      button.closest("li")?.remove();
    }));
    return h("li", { className: "waiting" }, h("span", {}, t("groupLobby.waiting", { name })), button);
  }
}
