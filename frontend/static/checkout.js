// @ts-check
/**
 * The close of a session, for the room (together.js) and the "session ended" page (lobby.js):
 * the signposting card (where to get support) and the anonymous check-out pulse (one tap,
 * optional). The pulse is sent once; this browser remembers that it answered (so the ended
 * page does not ask again), the server keeps only counts.
 */

import { ApiError, get, post } from "./api.js";
import { ready, t } from "./i18n.js";
import { h, message } from "./ui.js";

await ready("together");  // its words are in the room's later part (fetched once)

/** @typedef {{name: string, detail: string, contact: string}} Signpost */

/** The group's signposting card. @param {string} groupId */
export async function signposting(groupId) {
  /** @type {{entries: Signpost[]}} */
  const card = await get(`/groups/${encodeURIComponent(groupId)}/signposting`);
  return h("section", { className: "card signposting", "aria-labelledby": "signposting-title" },
    h("h2", { id: "signposting-title" }, t("checkout.support")),
    h("ul", { className: "plain" }, ...card.entries.map((e) => h("li", {},
      h("strong", {}, e.name), e.detail ? ` · ${e.detail}` : "", e.contact ? h("span", {}, " · ", h("span", { className: "contact" }, e.contact)) : ""))));
}

const answeredKey = (/** @type {string} */ sessionId) => `rounds.pulse.${sessionId}`;

/** The one-tap check-out pulse (null if this browser has answered). @param {string} sessionId */
export function pulse(sessionId) {
  try { if (sessionStorage.getItem(answeredKey(sessionId))) return null; } catch { /* private */ }
  const status = h("p", { role: "status", className: "status" });
  /** @type {number | null} */
  let heard = null;
  /** @type {boolean | null} */
  let again = null;
  /** @param {string} label @param {() => void} pick */
  const choice = (label, pick) => {
    const b = h("button", { type: "button", className: "secondary", "aria-pressed": "false" }, label);
    b.addEventListener("click", () => {
      pick();
      for (const other of /** @type {HTMLElement} */ (b.parentElement).querySelectorAll("button")) other.setAttribute("aria-pressed", String(other === b));
    });
    return b;
  };
  const done = () => {
    try { sessionStorage.setItem(answeredKey(sessionId), "1"); } catch { /* private */ }
    form.replaceChildren(h("p", { role: "status" }, t("checkout.thanks")));
  };
  const send = h("button", { type: "button" }, t("checkout.send"));
  send.addEventListener("click", async () => {
    if (heard === null && again === null) return void (status.textContent = t("checkout.choose"));
    try {
      await post(`/sessions/${encodeURIComponent(sessionId)}/pulse`, { heard, again });
      done();
    } catch (error) {
      if (error instanceof ApiError && error.code === "already_answered") done();
      else status.textContent = message(error);
    }
  });
  const skip = h("button", { type: "button", className: "secondary" }, t("checkout.skip"));
  skip.addEventListener("click", done);
  const form = h("section", { className: "card pulse", "aria-labelledby": "pulse-title" },
    h("h2", { id: "pulse-title" }, t("checkout.title")),
    h("p", {}, t("checkout.heard")),
    h("div", { className: "row-actions", role: "group", "aria-label": t("checkout.heardLabel") },
      ...[1, 2, 3, 4, 5].map((n) => choice(String(n), () => { heard = n; }))),
    h("p", {}, t("checkout.again")),
    h("div", { className: "row-actions", role: "group", "aria-label": t("checkout.again") },
      choice(t("checkout.yes"), () => { again = true; }), choice(t("checkout.no"), () => { again = false; })),
    h("div", { className: "row-actions" }, send, skip), status);
  return form;
}
