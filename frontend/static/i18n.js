// @ts-check
/**
 * Words in the reader's language: message catalogues `i18n/LOCALE/PART.json`, `t(key, params)`
 * with `{named}` placeholders and plurals by `Intl.PluralRules`. How to add a string or a
 * language: docs/i18n.md.
 */

import { language } from "./store.js";

export const BASE = "en-GB";
/** The locales with catalogues, each by its own name. */
export const LOCALES = /** @type {Record<string, string>} */ ({ "en-GB": "English", cy: "Cymraeg" });

/** @typedef {string | Record<string, string>} Message */
/** @type {Record<string, Message>} */
const words = {};
/** @type {Record<string, Message>} en-GB, for keys a partial catalogue lacks */
const base = {};
export let locale = BASE;
/** The page has been filled (by its first `ready`). */
let filled = false;
/** Each part's fetch, made once (together.js and checkout.js both ask for "together"). @type {Record<string, Promise<void>>} */
const loading = {};

/**
 * The device's choice, else the browser's first language we have, else en-GB.
 * @param {string | null} chosen @param {readonly string[]} preferred
 */
export function pick(chosen, preferred) {
  if (chosen && chosen in LOCALES) return chosen;
  for (const tag of preferred) {
    const found = Object.keys(LOCALES).find((l) => l.split("-")[0] === tag.split("-")[0].toLowerCase());
    if (found) return found;
  }
  return BASE;
}

/** @param {string} loc @param {string} part @returns {Promise<Record<string, Message>>} */
const fetchPart = (loc, part) => fetch(`/static/i18n/${loc}/${part}.json`)
  .then((r) => (r.ok ? r.json() : { "": "partial" }));

/**
 * Fetch the page's parts of the catalogue in the chosen locale only (and en-GB for a partial
 * one, whose page is then mostly en-GB: `<html lang>`), and fill the page. A later call (a part
 * a feature loads when it is used: `ready("together")`) adds its words to those loaded and
 * leaves the page as it is: its texts have changed since (a Mute button now "Unmute"). A part
 * is fetched once, however often it is asked for.
 * @param {...string} parts
 */
export async function ready(...parts) {
  locale = pick(language.get(), navigator.languages || []);
  let lang = locale;
  await Promise.all(parts.map((part) => (loading[part] ??= (async () => {
    const own = locale === BASE ? { "": "partial" } : await fetchPart(locale, part);
    if (own[""] === "partial") lang = BASE, Object.assign(base, await fetchPart(BASE, part));
    Object.assign(words, locale === BASE ? {} : own);
  })())));
  if (filled) return;
  filled = true;
  document.documentElement.lang = lang;
  translate(document);
}

/**
 * The message for `key`, its `{placeholders}` filled from `params` (`count` picks a plural).
 * @param {string} key @param {Record<string, string | number>} [params]
 */
export function t(key, params = {}) {
  let text = words[key] ?? base[key];
  // said on a development host: a key missing, or left to en-GB
  if (!(key in words) && (locale !== BASE || text === undefined) && /^(localhost|127\.)/.test(location.hostname)) {
    console.warn(`i18n: no ${locale} message ${key}`);
  }
  if (text === undefined) return key;
  if (typeof text === "object") text = text[new Intl.PluralRules(locale).select(Number(params.count))] ?? text.other;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
}

/** Whether `key` has a message (an error code's, say). @param {string} key */
export const has = (key) => key in words || key in base;

/** Fill `data-t="key"` texts and `data-t-attr="aria-label=key …"` attributes. @param {ParentNode} root */
export function translate(root) {
  for (const el of root.querySelectorAll("[data-t]")) el.textContent = t(/** @type {HTMLElement} */ (el).dataset.t || "");
  for (const el of root.querySelectorAll("[data-t-attr]")) {
    for (const pair of (/** @type {HTMLElement} */ (el).dataset.tAttr || "").split(" ")) {
      const [attr, key] = pair.split("=");
      el.setAttribute(attr, t(key));
    }
  }
}
