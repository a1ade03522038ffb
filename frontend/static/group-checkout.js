// @ts-check
/**
 * The group's close, for its facilitators and admins: the check-out pulse's figures (refused by
 * the server below five answers: "not enough answers to show") and the signposting card its
 * members see at the close (`PUT /groups/{id}/signposting`; the deployment's by default).
 */

import { API, del, get, put } from "./api.js";
import { $, $as, h, message, say } from "./ui.js";

/** @typedef {{shown: boolean, answers: number | null, counts: Record<string, number> | null}} Figures */

const QUESTIONS = { heard: "Today I felt heard (1 to 5)", again: "I'd like to come again" };

/** @param {import("./types.js").Group} group */
export async function mountCheckout(group) {
  await Promise.all([showPulse(group), editCard(group)]);
}

/** @param {import("./types.js").Group} group */
async function showPulse(group) {
  const out = $("pulse-status");
  /** @type {{heard: Figures, again: Figures}} */
  let figures;
  try {
    figures = await get(`/groups/${group.id}/pulse`);
  } catch (error) {
    return say(out, message(error), "error");
  }
  if (!figures.heard.shown && !figures.again.shown) {
    return say(out, "Not enough answers to show yet: figures appear from five answers up.");
  }
  $("pulse-figures").hidden = false;
  $("pulse-figures").replaceChildren(...Object.entries(QUESTIONS).map(([q, label]) => {
    const f = figures[/** @type {"heard" | "again"} */ (q)];
    return h("li", { className: "row" }, h("strong", {}, label), " ", f.shown && f.counts
      ? `${f.answers} answers: ${Object.entries(f.counts).map(([a, n]) => a + ": " + n).join(", ")}`
      : "not enough answers to show");
  }));
  const csv = $as("pulse-csv", HTMLAnchorElement);
  csv.href = `${API}/groups/${group.id}/pulse.csv`;
  csv.hidden = false;
}

/** @param {{name: string, detail: string, contact: string}[]} entries */
const asText = (entries) => entries.map((e) => [e.name, e.detail, e.contact].join(" | ")).join("\n");

/** @param {import("./types.js").Group} group */
async function editCard(group) {
  const text = $as("signposting-text", HTMLTextAreaElement);
  const out = $("signposting-status");
  const url = `/groups/${group.id}/signposting`;
  /** @param {{entries: {name: string, detail: string, contact: string}[], is_default: boolean}} card */
  const show = (card) => {
    text.value = asText(card.entries);
    say(out, card.is_default ? "This is the default card for every group." : "This group has its own card.");
  };
  show(await get(url));
  $("signposting-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const entries = text.value.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
      const [name = "", detail = "", contact = ""] = line.split("|").map((p) => p.trim());
      return { name, detail, contact };
    });
    try {
      show(await put(url, { entries }));
      say(out, "Saved. Members see this card at the close.", "ok");
    } catch (error) {
      say(out, message(error), "error");
    }
  });
  $("signposting-default").addEventListener("click", async () => {
    try {
      show(await del(url));
    } catch (error) {
      say(out, message(error), "error");
    }
  });
}
