// @ts-check
/** A programme's overview, `/programme?id=`: its counts (never names) and its facilitators. */

import { get, put } from "./api.js";
import { base, cohortName, slotName } from "./programme-api.js";
import { openProgramme } from "./programme-page.js";
import { $, $as, busy, h, message, say } from "./ui.js";
import { ready } from "./i18n.js";

/** @typedef {import("./programme-types.js").Programme} Programme */

/** @param {Programme} programme */
async function showFigures(programme) {
  /** @type {import("./programme-types.js").Figures} */
  const f = await get(`${base(programme.id)}/figures`);
  $("totals").textContent = `${f.people} people imported, ${f.invited} invited, ${f.left} left `
    + `at a change-over. ${f.groups_running} groups running, ${f.sessions_held} sessions held, `
    + `${f.attendances} attendances in all.`;
  const table = $("figures");
  table.hidden = f.groups.length === 0;
  const cell = (/** @type {number} */ n) => h("td", { className: "num" }, String(n));
  table.querySelector("tbody")?.replaceChildren(...f.groups.map((g) => h("tr", {},
    h("th", { scope: "row" }, `Group ${g.number}`), h("td", {}, slotName(g.slot)),
    h("td", {}, cohortName(g.cohort)), cell(g.members), cell(g.sessions_held),
    cell(g.attendances))));
  const words = { heard: "Today I felt heard (1 to 5)", again: "I'd like to come again" };
  $("pulse").replaceChildren(...Object.entries(words).map(([q, label]) => {
    const p = f.pulse[/** @type {"heard" | "again"} */ (q)];
    return h("span", { className: "row" }, h("strong", {}, label), " ", p.shown && p.counts
      ? `${p.answers} answers: ${Object.entries(p.counts).map(([a, n]) => a + ": " + n).join(", ")}`
      : "not enough answers to show (figures appear from five answers up)");
  }));
}

/** @param {Programme} programme */
async function wireFacilitators(programme) {
  /** @type {import("./programme-types.js").Staff[]} */
  const staff = await get(`${base(programme.id)}/staff`);
  /** @type {import("./programme-types.js").Facilitator[]} */
  const offered = await get(`${base(programme.id)}/facilitators`);
  const now = new Map(offered.map((f) => [f.account_id, f]));
  const rows = staff.map((s, i) => {
    const mine = now.get(s.id);
    const boxes = programme.slots.map((slot) => h("input", { type: "checkbox", value: slot,
      checked: Boolean(mine?.slots.includes(slot)) }));
    const most = h("input", { id: `f-${i}-max`, type: "number", min: 1, max: 6,
      value: String(mine?.max_groups || 1), inputMode: "numeric" });
    const li = h("li", { className: "row", "data-account": s.id },
      h("fieldset", {}, h("legend", {}, s.display_name),
        ...programme.slots.map((slot, j) => h("label", { className: "check" }, boxes[j],
          h("span", {}, slotName(slot)))),
        h("label", { for: `f-${i}-max` }, "Groups at most"), most));
    return { li, id: s.id, boxes, most };
  });
  $("facilitators").replaceChildren(...rows.map((r) => r.li));
  const out = $("facilitators-status"), button = $as("facilitators-save", HTMLButtonElement);
  button.disabled = false;
  $as("facilitators-form", HTMLFormElement).addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = rows.map((r) => ({ account_id: r.id, max_groups: Number(r.most.value) || 1,
      slots: r.boxes.filter((b) => b.checked).map((b) => b.value) }))
      .filter((f) => f.slots.length > 0);
    void busy(button, out, async () => {
      /** @type {import("./programme-types.js").Facilitator[]} */
      const saved = await put(`${base(programme.id)}/facilitators`, chosen);
      say(out, `Saved: ${saved.length} facilitator${saved.length === 1 ? "" : "s"}.`, "ok");
    });
  });
}

async function main() {
  await ready("common", "pages");  // the shared words (dates, errors); this page's own are en-GB
  try {
    const programme = await openProgramme("programme");
    await showFigures(programme);
    await wireFacilitators(programme);
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

main();
