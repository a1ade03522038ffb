// @ts-check
/** A programme's allocation, `/programme-allocation?id=`: propose (the solver), see the groups
 * and the rules they keep, move people, confirm (groups made, invites emailed). */

import { get, post } from "./api.js";
import { base, cohortName, slotName } from "./programme-api.js";
import { openProgramme } from "./programme-page.js";
import { $, $as, busy, h, message, say } from "./ui.js";
import { ready } from "./i18n.js";

/** @typedef {import("./programme-types.js").Allocation} Allocation */
/** @typedef {import("./programme-types.js").Placement} Placement */
/** @typedef {import("./programme-types.js").Person} Person */

/** The rules in a sentence. @param {import("./programme-types.js").Rules} r */
export function rulesLine(r) {
  const parts = [`Groups of ${r.min_size} to ${r.max_size}, each with a facilitator, at a slot `
    + `everyone in it can make (${r.slots.map(slotName).join(", ")})`];
  if (r.separate_cohorts) parts.push("one cohort per group");
  if (r.mix_specialties) parts.push("no specialty more than half a group");
  if (r.mix_sites) parts.push("no site more than half a group");
  parts.push("nobody with someone they asked to be kept apart from");
  return `${parts.join("; ")}.`;
}

/**
 * @param {string} id @param {Placement} pl @param {Placement[]} others
 * @param {(a: Allocation) => void} show
 */
function card(id, pl, others, show) {
  const out = $("status");
  /** @param {Person} p */
  const move = (p) => {
    if (pl.confirmed || !others.length) return h("td", {});
    const select = h("select", { id: `move-${p.id}` },
      ...others.map((o) => new Option(`Group ${o.number} (${slotName(o.slot)})`, o.id)));
    const button = h("button", { type: "button", className: "secondary" }, "Move",
      h("span", { className: "visually-hidden" }, ` ${p.name}`));
    button.addEventListener("click", () => busy(button, out, async () => {
      show(await post(`${base(id)}/allocation/move`, { person_id: p.id, placement_id: select.value }));
      say(out, `Moved ${p.name}.`, "ok");
    }));
    return h("td", { className: "move" }, h("label", { for: select.id, className: "visually-hidden" },
      `Move ${p.name} to`), select, button);
  };
  return h("section", { className: "card", "aria-labelledby": `pl-${pl.id}` },
    h("h2", { id: `pl-${pl.id}` }, `Group ${pl.number} `,
      h("span", { className: "tag", "data-state": pl.confirmed ? "active" : undefined },
        pl.confirmed ? "Confirmed" : "Proposed")),
    h("p", { className: "muted" }, `${slotName(pl.slot)} · ${pl.facilitator} · `
      + `${cohortName(pl.cohort)} · ${pl.people.length} people`),
    h("div", { className: "table-scroll", tabIndex: 0, role: "region",
      "aria-label": `Group ${pl.number}'s people` }, h("table", {},
      h("thead", {}, h("tr", {}, ...["Name", "Grade", "Specialty", "Site", "Can make",
        "Kept apart from"].map((t) => h("th", { scope: "col" }, t)),
      h("th", { scope: "col" }, pl.confirmed ? "" : "Move"))),
      h("tbody", {}, ...pl.people.map((p) => h("tr", {},
        h("th", { scope: "row" }, p.name), h("td", {}, p.grade), h("td", {}, p.specialty),
        h("td", {}, p.site), h("td", {}, p.slots.map(slotName).join(", ")),
        h("td", {}, p.keep_apart ? `${p.keep_apart} named` : "–"), move(p)))))));
}

/** @param {string} id @returns {(a: Allocation) => void} */
function shower(id) {
  /** @param {Allocation} a */
  const show = (a) => {
    $("rules").textContent = rulesLine(a.rules);
    const list = (/** @type {string} */ section, /** @type {string} */ ul, /** @type {string[]} */ items) => {
      $(ul).replaceChildren(...items.map((t) => h("li", {}, t)));
      $(section).hidden = items.length === 0;
    };
    list("problems", "problem-list", a.problems);
    list("violations", "violation-list", a.violations);
    list("unplaced", "unplaced-list", a.unplaced.map((p) => `${p.name} (${p.grade}, ${p.site})`));
    const proposed = a.placements.filter((p) => !p.confirmed);
    $("placements").replaceChildren(...a.placements.map((pl) =>
      card(id, pl, proposed.filter((o) => o.id !== pl.id), show)));
    $("confirm").hidden = proposed.length === 0;
  };
  return show;
}

/** @param {string} id @param {(a: Allocation) => void} show */
function wire(id, show) {
  const out = $("status"), propose = $as("propose", HTMLButtonElement);
  propose.disabled = false;
  propose.addEventListener("click", () => busy(propose, out, async () => {
    say(out, "Working out the groups…", "info");
    /** @type {Allocation} */
    const a = await post(`${base(id)}/allocation`);
    show(a);
    say(out, a.problems.length ? "No allocation keeps every rule: see why below."
      : `Proposed ${a.placements.filter((p) => !p.confirmed).length} groups. Move people if `
        + "you need to, then confirm.", a.problems.length ? "error" : "ok");
  }));
  const form = $as("confirm-form", HTMLFormElement), status = $("confirm-status");
  const first = $as("first-date", HTMLInputElement), button = $as("confirm-submit", HTMLButtonElement);
  button.disabled = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!first.value) { say(status, "Choose the first week.", "error"); return first.focus(); }
    void busy(button, status, async () => {
      /** @type {{groups: number, invites: number}} */
      const done = await post(`${base(id)}/allocation/confirm`, { first_date: first.value,
        duration_minutes: Number($as("duration", HTMLInputElement).value) || 90 });
      show(await get(`${base(id)}/allocation`));
      say(out, `Confirmed ${done.groups} groups; ${done.invites} invites are on their way by email.`, "ok");
    });
  });
}

async function main() {
  await ready("common", "pages");  // the shared words (dates, errors); this page's own are en-GB
  try {
    const programme = await openProgramme("programme-allocation");
    const show = shower(programme.id);
    wire(programme.id, show);
    show(await get(`${base(programme.id)}/allocation`));
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

main();
