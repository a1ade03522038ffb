// @ts-check
/** Check a certificate's code, `/verify` (public; a link may carry the code after `#`). */

import { post } from "./api.js";
import { longDate } from "./attendance-format.js";
import { ready, t } from "./i18n.js";
import { mountLanguages } from "./languages.js";
import { $, $as, h, message, say } from "./ui.js";

await ready("common", "pages");
mountLanguages();

/**
 * @typedef {{valid: boolean, display_name: string, group_name: string, sessions: number,
 *   minutes: number, first_date: string | null, last_date: string | null,
 *   issued_at: string}} Verified
 */

/** @param {string} term the key of its words @param {string} value */
const fact = (term, value) => [h("dt", {}, t(term)), h("dd", {}, value)];

/** @param {Verified} v */
function show(v) {
  const span = v.first_date && v.last_date
    ? (v.first_date === v.last_date ? longDate(v.first_date)
      : t("verify.span", { from: longDate(v.first_date), to: longDate(v.last_date) }))
    : t("verify.noDates");
  $("facts").replaceChildren(
    ...fact("verify.issuedTo", v.display_name),
    ...fact("verify.group", v.group_name),
    ...fact("verify.sessions", String(v.sessions)),
    ...fact("attendance.minutes", String(v.minutes)),
    ...fact("verify.dates", span),
    ...fact("verify.issuedOn", longDate(v.issued_at.slice(0, 10))));
  $("result").hidden = false;
}

async function check() {
  const code = $as("code", HTMLInputElement).value.trim();
  $("result").hidden = true;
  say($("problem"), "");
  if (!code) return say($("problem"), t("verify.codeMissing"), "error");
  try {
    show(await post("/certificates/verify", { code }));
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

$as("check", HTMLFormElement).addEventListener("submit", (event) => {
  event.preventDefault();
  check();
});
const fromLink = decodeURIComponent(location.hash.slice(1));
if (fromLink) {
  $as("code", HTMLInputElement).value = fromLink;
  history.replaceState(null, "", location.pathname);
  check();
}
