// @ts-check
/**
 * Volunteering or asking, `/pairing#KEY`: the scheme's link. The key is in the #fragment (never
 * in a server log). The answer is this person's private pairing link, kept on this device and
 * opened at once (`/pair`).
 */

import { post } from "./api.js";
import { ready, t } from "./i18n.js";
import { mountLanguages } from "./languages.js";
import { $, $as, busy, message, say } from "./ui.js";

async function main() {
  await ready("common", "pages", "peer");
  mountLanguages();
  const key = location.hash.slice(1);
  if (!key) return say($("problem"), t("pairing.noLink"), "error");
  history.replaceState(null, "", location.pathname);
  try {
    /** @type {{name: string}} */
    const scheme = await post("/pairing/scheme", { key });
    $("title").textContent = scheme.name;
    document.title = t("pairing.pageOf", { scheme: scheme.name });
  } catch (error) {
    return say($("problem"), message(error), "error");
  }
  const form = $as("join-form", HTMLFormElement);
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (/** @type {string} */ id) => $as(id, HTMLInputElement).value.trim();
    const missing = ["p-name", "p-email", "p-specialty", "p-site", "p-department"].find((id) => !value(id));
    if (missing) {
      say($("join-error"), t("pairing.missing"), "error");
      $(missing).focus();
      return;
    }
    void busy($as("join-submit", HTMLButtonElement), $("join-error"), async () => {
      const seniority = /** @type {HTMLInputElement} */ (form.querySelector("input[name=seniority]:checked")).value;
      /** @type {{token: string}} */
      const joined = await post("/pairing/join", { key, seniority, name: value("p-name"),
        email: value("p-email"), specialty: value("p-specialty"), site: value("p-site"),
        department: value("p-department") });
      location.assign(`/pair#${joined.token}`);
    });
  });
}

main();
