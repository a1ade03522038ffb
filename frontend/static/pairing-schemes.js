// @ts-check
/**
 * Near-peer pairing schemes, `/pairing-schemes`: an admin creates one and names its lead; the
 * lead sees who is waiting, the scheme's proposed matches, pairs people (a proposal or by hand)
 * and afterwards only counts.
 */

import { requireAccount } from "./account.js";
import { del, get, post } from "./api.js";
import { $, $as, busy, h, message, say } from "./ui.js";
import { ready } from "./i18n.js";

/** @typedef {import("./pairing-types.js").PairingPerson} Person */

/** @param {Person} p */
const about = (p) => `${p.specialty}, ${p.department}, ${p.site}`;

/** @param {import("./pairing-types.js").PairCounts} c */
function countsLine(c) {
  return `${c.pairs_active} ${c.pairs_active === 1 ? "pair" : "pairs"} active, ${c.pairs_ended} ended. `
    + `Waiting: ${c.seniors_waiting} senior, ${c.juniors_waiting} junior.`;
}

/** @param {string} schemeId @param {() => Promise<void>} again */
async function matching(schemeId, again) {
  /** @type {import("./pairing-types.js").PairingSchemeDetail} */
  const scheme = await get(`/pairing-schemes/${schemeId}`);
  /** @type {import("./pairing-types.js").PairProposal[]} */
  const proposals = await get(`/pairing-schemes/${schemeId}/proposal`);
  const pair = (/** @type {string} */ senior, /** @type {string} */ junior) =>
    post(`/pairing-schemes/${schemeId}/pairs`, { senior_id: senior, junior_id: junior });
  const rows = proposals.map((p) => {
    const label = `${p.senior.name} and ${p.junior.name}`;
    const button = h("button", { type: "button" }, "Pair them", h("span", { className: "visually-hidden" }, ` ${label}`));
    button.addEventListener("click", () => void busy(button, $("problem"), async () => {
      await pair(p.senior.id, p.junior.id);
      say($("status"), `${label} are paired. Each can now open their own link to meet.`, "ok");
      await again();
    }));
    const why = [p.same_specialty ? "same specialty" : "", p.same_site ? "same site" : ""].filter(Boolean);
    return h("li", { className: "row" }, h("div", {}, h("strong", {}, label),
      h("div", { className: "muted" }, `${p.senior.name}: ${about(p.senior)}. ${p.junior.name}: ${about(p.junior)}.`
        + (why.length ? ` (${why.join(", ")})` : ""))), button);
  });
  const seniors = scheme.waiting.filter((p) => p.seniority === "senior");
  const juniors = scheme.waiting.filter((p) => p.seniority === "junior");
  const pickSenior = h("select", { id: `senior-${schemeId}` }, ...seniors.map((p) => new Option(`${p.name} (${about(p)})`, p.id)));
  const pickJunior = h("select", { id: `junior-${schemeId}` }, ...juniors.map((p) => new Option(`${p.name} (${about(p)})`, p.id)));
  const byHand = h("button", { type: "button", className: "secondary" }, "Pair these two");
  byHand.addEventListener("click", () => void busy(byHand, $("problem"), async () => {
    await pair(pickSenior.value, pickJunior.value);
    say($("status"), "They are paired.", "ok");
    await again();
  }));
  return h("div", {},
    h("h3", {}, "Proposed matches"),
    rows.length ? h("ul", { className: "plain" }, ...rows)
      : h("p", { className: "muted" }, "Nothing to propose: pairs need a senior and a junior from different departments."),
    seniors.length && juniors.length ? h("div", {}, h("h3", {}, "Pair by hand"),
      h("label", { for: pickSenior.id }, "Senior"), pickSenior,
      h("label", { for: pickJunior.id }, "Junior"), pickJunior,
      h("div", { className: "actions" }, byHand)) : "");
}

/** @type {import("./types.js").Account | null} */
let me = null;

/** @param {import("./pairing-types.js").PairingScheme} scheme @param {() => Promise<void>} again */
function deleteButton(scheme, again) {
  const button = h("button", { type: "button", className: "danger" }, "Delete the scheme",
    h("span", { className: "visually-hidden" }, ` ${scheme.name}`));
  button.addEventListener("click", () => void busy(button, $("problem"), async () => {
    if (!confirm(`Delete ${scheme.name}, everyone in it and its pairs? Their rooms close.`)) return;
    await del(`/pairing-schemes/${scheme.id}`);
    say($("status"), `${scheme.name} is deleted.`, "ok");
    await again();
  }));
  return h("div", { className: "actions" }, button);
}

async function list() {
  /** @type {import("./pairing-types.js").PairingScheme[]} */
  const schemes = await get("/pairing-schemes");
  const again = () => list().catch((e) => say($("problem"), message(e), "error"));
  const cards = await Promise.all(schemes.map(async (s) => {
    const id = `link-${s.id}`;
    return h("li", { className: "card" }, h("h2", {}, s.name),
      h("p", { className: "lead", role: "status" }, countsLine(s.counts)),
      h("label", { for: id }, "The scheme's link ", h("span", { className: "hint" },
        "Share it with senior doctors who could volunteer and junior doctors who would like a near-peer")),
      h("input", { id, readOnly: true, value: new URL(s.link, location.origin).href }),
      await matching(s.id, again), me?.is_admin ? deleteButton(s, again) : "");
  }));
  $("schemes").replaceChildren(...cards);
  $("empty").hidden = schemes.length > 0;
}

/** @param {import("./types.js").Account} me */
async function wireCreate(me) {
  $("create").hidden = false;
  /** @type {import("./account-types.js").AccountDetail[]} */
  const accounts = (await get("/accounts")).filter((/** @type {import("./account-types.js").AccountDetail} */ a) => !a.disabled_at);
  const lead = $as("s-lead", HTMLSelectElement);
  lead.replaceChildren(...accounts.map((a) => new Option(`${a.display_name} (${a.email})`, a.id, false, a.id === me.id)));
  const form = $as("create-form", HTMLFormElement);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $as("s-name", HTMLInputElement).value.trim();
    if (!name) {
      say($("create-status"), "Give the scheme a name.", "error");
      $("s-name").focus();
      return;
    }
    void busy($as("create-submit", HTMLButtonElement), $("create-status"), async () => {
      await post("/pairing-schemes", { name, lead_id: lead.value || null,
        prefer_same_specialty: $as("s-specialty", HTMLInputElement).checked,
        prefer_same_site: $as("s-site", HTMLInputElement).checked });
      form.reset();
      say($("create-status"), "", "ok");
      say($("status"), `The scheme ${name} is ready: share its link.`, "ok");
      await list();
    });
  });
}

async function main() {
  await ready("common", "pages");  // the shared words (dates, errors); this page's own are en-GB
  me = await requireAccount();
  try {
    if (me.is_admin) await wireCreate(me);
    await list();
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

main();
