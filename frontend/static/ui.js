// @ts-check
/** Small DOM helpers shared by the pages. */

import { ApiError } from "./api.js";
import { has, t } from "./i18n.js";

/** The element with this id (it must exist). @param {string} id */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el;
}

/** @template {HTMLElement} T @param {string} id @param {new () => T} type @returns {T} */
export function $as(id, type) {
  const el = $(id);
  if (!(el instanceof type)) throw new Error(`#${id} is not a ${type.name}`);
  return el;
}

/**
 * Build an element. Props are properties (`className`, `textContent`, `hidden`, …) except
 * `data-*`/`aria-*`/`for`, which are attributes. Children are nodes or text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} [props]
 * @param {(Node | string | null | false | undefined)[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("data-") || key.startsWith("aria-") || key === "for" || key === "role") {
      el.setAttribute(key, String(value));
    } else {
      /** @type {any} */ (el)[key] = value;
    }
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

/**
 * The words to show a person for a failure: the catalogue's `error.CODE` for the server's stable
 * code, else (a code no page expects a person to meet) the server's own en-GB detail.
 * @param {unknown} error
 */
export function message(error) {
  if (!(error instanceof ApiError)) return t("error.unknown");
  if (has(`error.${error.code}`)) return t(`error.${error.code}`);
  return error.detail.charAt(0).toUpperCase() + error.detail.slice(1);
}

/**
 * Show a short status or error in a message element (give it role="status" or role="alert").
 * @param {HTMLElement} el @param {string} text @param {"info" | "error" | "ok"} [kind]
 */
export function say(el, text, kind = "info") {
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = !text;
}

/**
 * Run an action from a button: disabled while it runs, failures shown in `out`.
 * @param {HTMLButtonElement} button @param {HTMLElement} out @param {() => Promise<void>} action
 */
export async function busy(button, out, action) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    await action();
  } catch (error) {
    say(out, message(error), "error");
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/** The page's query parameter. @param {string} name */
export const param = (name) => new URLSearchParams(location.search).get(name) || "";
