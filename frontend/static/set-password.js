// @ts-check
/**
 * Set a password, `/set-password#TOKEN`: the one-time link an admin sent with a new (or reset)
 * account. The token is in the #fragment, so it never reaches a server log, and it leaves the
 * address bar and history as soon as the page has read it.
 */

import { ready } from "./i18n.js";
import { ApiError, post } from "./api.js";
import { day } from "./format.js";
import { $, $as, message, say } from "./ui.js";

await ready("common", "pages", "manage");

/** @type {Record<string, [string, string]>} */
export const REASONS = {
  password_link_used: ["This link has already been used",
    "Each link works once. If you set your password with it, sign in. If not, ask an administrator of Rounds for a new link."],
  password_link_expired: ["This link has expired",
    "Links to set a password work for 72 hours. Ask an administrator of Rounds for a new one."],
  password_link_revoked: ["This link has been replaced",
    "An administrator made a newer link for your account. Use the newest one you were sent."],
  password_link_not_found: ["This link does not work",
    "It is not a Rounds password link, or it was copied incompletely. Open the whole link from the message you were sent."],
  account_disabled: ["This account is disabled",
    "Ask an administrator of Rounds if you should still have access."],
};

/** @param {unknown} error */
function refuse(error) {
  const code = error instanceof ApiError ? error.code : "";
  const [title, text] = REASONS[code] || ["We could not check this link", message(error)];
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
  $("title").textContent = "Set your password";
  $("who").textContent = `For ${link.display_name}'s account. This link works until ${day(link.expires_at)}.`;
  $as("email", HTMLInputElement).value = link.email;
  $("set").hidden = false;

  const form = $as("set", HTMLFormElement), button = $as("submit", HTMLButtonElement);
  const password = $as("password", HTMLInputElement), again = $as("again", HTMLInputElement);
  button.disabled = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = password.value.length < 12 ? "Choose a password of at least 12 characters."
      : password.value !== again.value ? "The two passwords are not the same." : "";
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
    $("title").textContent = "Your password is set";
    say($("done"), `Sign in with ${link.email} and your new password.`, "ok");
    $("signin-line").hidden = false;
  });
}

addEventListener("hashchange", () => location.reload());  // another link opened in this tab
main();
