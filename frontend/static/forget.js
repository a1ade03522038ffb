// @ts-check
/**
 * "Forget this device": the doctor leaves every group this browser is in (the facilitator sees
 * that they left), the server drops its keys and the page drops what it stored.
 */

import { post } from "./api.js";
import { t } from "./i18n.js";
import { LANGUAGE } from "./store.js";
import { busy, say } from "./ui.js";

/** Forget everything this browser keeps for Rounds (the server cookie is cleared by the API). */
export function forgetAll() {
  for (const storage of [localStorage, sessionStorage]) {
    try {
      for (const key of Object.keys(storage)) if (key.startsWith("rounds.") && key !== LANGUAGE) storage.removeItem(key);
    } catch { /* nothing stored */ }
  }
}

/**
 * Wire a "Forget this device" button; `done` runs after forgetting.
 * @param {HTMLButtonElement} button @param {HTMLElement} out @param {() => void} [done]
 */
export function wireForget(button, out, done) {
  button.addEventListener("click", () => busy(button, out, async () => {
    const sure = confirm(t("forget.confirm"));
    if (!sure) return;
    await post("/me/forget");
    forgetAll();
    say(out, t("forget.done"), "ok");
    done?.();
  }));
}
