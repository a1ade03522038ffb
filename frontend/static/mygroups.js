// @ts-check
/** "My groups", `/`: the groups this device belongs to, for a returning doctor. */

import { get } from "./api.js";
import { waiting } from "./format.js";
import { wireForget } from "./forget.js";
import { $, $as, h, message, say } from "./ui.js";

async function main() {
  wireForget($as("forget", HTMLButtonElement), $("status"), () => {
    $("groups").hidden = true;
    $("forget-line").hidden = true;
    $("none").hidden = false;
  });
  /** @type {import("./types.js").Membership[]} */
  let mine;
  try {
    mine = await get("/me/memberships");
  } catch (error) {
    $("loading").hidden = true;
    return say($("problem"), message(error), "error");
  }
  $("loading").hidden = true;
  if (!mine.length) {
    $("none").hidden = false;
    return;
  }
  $("groups").replaceChildren(...mine.map((m) => {
    const { text } = waiting(m.next_session, { timeZone: m.group.timezone,
      facilitating: m.role !== "member" });
    return h("li", { className: "card" },
      h("h2", {}, m.group.name),
      h("p", { className: "muted" }, `You appear as ${m.display_name}.`),
      h("p", {}, text),
      h("a", { className: "button", href: `/lobby?group=${encodeURIComponent(m.group.id)}` },
        "Go to the lobby", h("span", { className: "visually-hidden" }, ` of ${m.group.name}`)));
  }));
  $("groups").hidden = false;
  $("forget-line").hidden = false;
}

main();
