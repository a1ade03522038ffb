// @ts-check
/** A programme lead's programmes, `/programmes`: the list, and starting a new one. */

import { requireAccount } from "./account.js";
import { get, post } from "./api.js";
import { parseSlots, slotName } from "./programme-api.js";
import { $, $as, busy, h, message, say } from "./ui.js";
import { ready } from "./i18n.js";

/** @typedef {import("./programme-types.js").Programme} Programme */

async function list() {
  /** @type {Programme[]} */
  const programmes = await get("/programmes");
  $("programmes").replaceChildren(...programmes.map((p) => h("li", { className: "card" },
    h("h2", {}, p.name),
    h("p", { className: "muted" }, `Meets at ${p.slots.map(slotName).join(", ")}; groups of `
      + `${p.min_size} to ${p.max_size}.`),
    h("a", { className: "button secondary", href: `/programme?id=${p.id}` },
      "Open", h("span", { className: "visually-hidden" }, ` ${p.name}`)))));
  $("empty").hidden = programmes.length > 0;
}

function wireCreate() {
  $("create").hidden = false;
  const form = $as("create-form", HTMLFormElement), out = $("create-status");
  const button = $as("create-submit", HTMLButtonElement);
  button.disabled = false;
  const name = $as("p-name", HTMLInputElement), slots = $as("p-slots", HTMLInputElement);
  const number = (/** @type {string} */ id) => Number($as(id, HTMLInputElement).value);
  const checked = (/** @type {string} */ id) => $as(id, HTMLInputElement).checked;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!name.value.trim()) { say(out, "Give the programme a name.", "error"); return name.focus(); }
    const times = parseSlots(slots.value);
    if (!times.length || times.some((s) => !/^(MO|TU|WE|TH|FR|SA|SU) ([01]\d|2[0-3]):[0-5]\d$/.test(s))) {
      say(out, "Give each slot as a day and a time, for example TU 12:30.", "error");
      return slots.focus();
    }
    void busy(button, out, async () => {
      /** @type {Programme} */
      const made = await post("/programmes", { name: name.value.trim(), slots: times,
        min_size: number("p-min"), max_size: number("p-max"),
        separate_cohorts: checked("p-cohorts"), mix_specialties: checked("p-specialties"),
        mix_sites: checked("p-sites") });
      location.assign(`/programme?id=${made.id}`);
    });
  });
}

async function main() {
  await ready("common", "pages");  // the shared words (dates, errors); this page's own are en-GB
  const me = await requireAccount();
  if (!me.is_programme_lead) {
    return say($("problem"), "Only a programme lead runs programmes. An administrator can make "
      + "your account one.", "error");
  }
  try {
    await list();
    wireCreate();
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

main();
