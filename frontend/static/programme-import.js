// @ts-check
/** Importing a programme's people from CSV, `/programme-import?id=`: all or none, with every
 * problem shown by its row and column. */

import { get } from "./api.js";
import { RowsInvalid, base, importCsv } from "./programme-api.js";
import { openProgramme } from "./programme-page.js";
import { $, $as, busy, h, message, say } from "./ui.js";
import { ready } from "./i18n.js";

/** @param {string} id */
async function count(id) {
  /** @type {import("./programme-types.js").Person[]} */
  const people = await get(`${base(id)}/people`);
  $("people-count").textContent = people.length
    ? `${people.length} people imported so far.` : "Nobody is imported yet.";
}

/** @param {import("./programme-types.js").Programme} programme */
function wireImport(programme) {
  const form = $as("import-form", HTMLFormElement), out = $("import-status");
  const file = $as("csv-file", HTMLInputElement), button = $as("import-submit", HTMLButtonElement);
  button.disabled = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) { say(out, "Choose a CSV file first.", "error"); return file.focus(); }
    $("errors").hidden = true;
    void busy(button, out, async () => {
      try {
        const n = await importCsv(programme.id, await chosen.text());
        say(out, `Imported ${n} people. Next: the allocation.`, "ok");
        await count(programme.id);
      } catch (error) {
        if (!(error instanceof RowsInvalid)) throw error;
        say(out, message(error), "error");
        $("error-rows").replaceChildren(...error.rows.map((r) => h("tr", {},
          h("td", { className: "num" }, String(r.row)), h("td", {}, r.column || "(whole row)"),
          h("td", {}, r.problem))));
        $("errors").hidden = false;
        $("errors").focus();
      }
    });
  });
}

async function main() {
  await ready("common", "pages");  // the shared words (dates, errors); this page's own are en-GB
  try {
    const programme = await openProgramme("programme-import");
    wireImport(programme);
    await count(programme.id);
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

main();
