// @ts-check
/**
 * The language switch on the doctor's pages: a button for each other language, named in that
 * language ("Cymraeg", "English"). The choice is kept on the device (store.js) and the page
 * reloads in it; the room page has none (it follows the choice made before).
 */

import { LOCALES, locale, t } from "./i18n.js";
import { language } from "./store.js";
import { h } from "./ui.js";

/** Fill the `#languages` element, if the page has one. */
export function mountLanguages() {
  const nav = document.getElementById("languages");
  if (!nav) return;
  nav.setAttribute("aria-label", t("lang.label"));
  nav.replaceChildren(...Object.entries(LOCALES).filter(([code]) => code !== locale).map(([code, name]) => {
    const button = h("button", { type: "button", className: "link", lang: code }, name);
    button.addEventListener("click", () => { language.set(code); location.reload(); });
    return button;
  }));
}
