// @ts-check
/** A programme's rotation change-over, `/programme-changeover?id=`: leavers' places end on
 * their last day, newcomers are offered the free places. */

import { post } from "./api.js";
import { base } from "./programme-api.js";
import { openProgramme } from "./programme-page.js";
import { $, $as, busy, h, message, say } from "./ui.js";
import { ready } from "./i18n.js";

/** @param {import("./programme-types.js").Programme} programme */
function wire(programme) {
  const form = $as("changeover-form", HTMLFormElement), out = $("changeover-status");
  const on = $as("on", HTMLInputElement), button = $as("changeover-submit", HTMLButtonElement);
  button.disabled = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!on.value) { say(out, "Choose the change-over date.", "error"); return on.focus(); }
    if (!confirm("Run the change-over? Leavers' places end on their last day and newcomers are "
      + "emailed their invites.")) return;
    void busy(button, out, async () => {
      /** @type {import("./programme-types.js").Changeover} */
      const done = await post(`${base(programme.id)}/changeover`, { on: on.value });
      say(out, "", "info");
      $("result-counts").textContent = `${done.left} left on their last day. ${done.invited} `
        + `newcomer${done.invited === 1 ? " was" : "s were"} offered a place and emailed an invite.`;
      $("result-unplaced").replaceChildren(...done.unplaced.map((u) => h("li", {}, u)));
      $("result").hidden = false;
      $("result").focus();
    });
  });
}

async function main() {
  await ready("common", "pages");  // the shared words (dates, errors); this page's own are en-GB
  try {
    wire(await openProgramme("programme-changeover"));
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

main();
