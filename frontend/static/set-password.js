// @ts-check
/**
 * Set a password, `/set-password#TOKEN`: the one-time link an admin sent with a new (or reset)
 * account. The token is in the #fragment, so it never reaches a server log, and it leaves the
 * address bar and history as soon as the page has read it.
 */

import { ready, t } from "./i18n.js";
import { ApiError, post } from "./api.js";
import { day } from "./format.js";
import { $, $as, message, say } from "./ui.js";

await ready("common", "pages", "manage");

/** @type {Record<string, [string, string]>} */
export const REASONS = {
  password_link_used: [t("setPassword.usedTitle"), t("setPassword.eachLinkWorksOnce")],
  password_link_expired: [t("setPassword.expiredTitle"), t("setPassword.linksToSetA")],
  password_link_revoked: [t("setPassword.revokedTitle"), t("setPassword.anAdministratorMadeA")],
  password_link_not_found: [t("setPassword.notFoundTitle"), t("setPassword.itIsNotA")],
  account_disabled: [t("setPassword.disabledTitle"), t("setPassword.askAnAdministratorOf")],
};

/** @param {unknown} error */
function refuse(error) {
  const code = error instanceof ApiError ? error.code : "";
  const [title, text] = REASONS[code] || [t("setPassword.checkFailed"), message(error)];
  $("title").textContent = title;
  say($("problem"), text, "error");
  $("set").hidden = true;
  $("signin-line").hidden = code !== "password_link_used";
}

async function main() {
  const token = decodeURIComponent(location.hash.slice(1)).trim();
  // Out of the address bar and history at once; the page keeps it in memory only.
  if (location.hash) history.replaceState(null, "", "/set-password");
  if (!token) return refuse(new ApiError(404, "password_link_not_found", ""));
  /** @type {import("./account-types.js").PasswordLinkPreview} */
  let link;
  try {
    link = await post("/auth/password-link", { token });
  } catch (error) {
    return refuse(error);
  }
  $("title").textContent = t("setPassword.title");
  $("who").textContent = t("setPassword.who", { name: link.display_name, date: day(link.expires_at) });
  $as("email", HTMLInputElement).value = link.email;
  $("set").hidden = false;

  const form = $as("set", HTMLFormElement), button = $as("submit", HTMLButtonElement);
  const password = $as("password", HTMLInputElement), again = $as("again", HTMLInputElement);
  button.disabled = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = password.value.length < 12 ? t("setPassword.chooseAPasswordOf")
      : password.value !== again.value ? t("setPassword.theTwoPasswordsAre") : "";
    for (const input of [password, again]) input.toggleAttribute("aria-invalid", Boolean(problem));
    say($("password-error"), problem, "error");
    if (problem) return (password.value.length < 12 ? password : again).focus();
    button.disabled = true;
    try {
      await post("/auth/set-password", { token, password: password.value });
    } catch (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.code in REASONS) return refuse(error);
      return say($("password-error"), message(error), "error");
    }
    form.hidden = true;
    $("title").textContent = t("setPassword.yourPasswordIsSet");
    say($("done"), t("setPassword.done", { email: link.email }), "ok");
    $("signin-line").hidden = false;
  });
}

addEventListener("hashchange", () => location.reload());  // another link opened in this tab
main();
