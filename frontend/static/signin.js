// @ts-check
/** Sign in, `/signin?next=/path`: a facilitator's or admin's local account. */

import { ready, t } from "./i18n.js";
import { post } from "./api.js";
import { $, $as, busy, param, say } from "./ui.js";

await ready("common", "pages", "manage");

/** Only a path on this site, never another host (`//host`, `/\\host` and the like resolve
 * elsewhere: compare the resolved origin, not the text). */
function next() {
  const to = param("next");
  const url = new URL(to || "/groups", location.origin);
  return to.startsWith("/") && url.origin === location.origin
    ? url.pathname + url.search + url.hash
    : "/groups";
}

const form = $as("signin", HTMLFormElement);
const button = $as("submit", HTMLButtonElement);
button.disabled = false;
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const email = $as("email", HTMLInputElement), password = $as("password", HTMLInputElement);
  if (!email.value.trim() || !password.value) {
    say($("problem"), t("signin.enterYourEmailAddress"), "error");
    (email.value.trim() ? password : email).focus();
    return;
  }
  void busy(button, $("problem"), async () => {
    say($("problem"), "");
    await post("/auth/login", { email: email.value.trim(), password: password.value });
    location.assign(next());
  });
});
