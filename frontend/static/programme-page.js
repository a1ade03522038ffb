// @ts-check
/** What every page of one programme does first: the lead signed in, the programme loaded, the
 * programme's own navigation marked where the page is. */

import { requireAccount } from "./account.js";
import { get } from "./api.js";
import { base } from "./programme-api.js";
import { $, h, param } from "./ui.js";

const PAGES = [["programme", "Overview"], ["programme-import", "Import people"],
  ["programme-allocation", "Allocation"], ["programme-changeover", "Change-over"]];

/**
 * The programme this page is about (its id in `?id=`), once the navigation is drawn.
 * @param {string} here this page's name, e.g. "programme-import"
 * @returns {Promise<import("./programme-types.js").Programme>}
 */
export async function openProgramme(here) {
  await requireAccount();
  const id = param("id");
  /** @type {import("./programme-types.js").Programme} */
  const programme = await get(base(id));
  document.title = `${programme.name} · ${document.title}`;
  $("programme-name").textContent = programme.name;
  $("programme-nav").replaceChildren(...PAGES.map(([page, words]) => h("a", {
    href: `/${page}?id=${encodeURIComponent(id)}`,
    "aria-current": page === here ? "page" : undefined }, words)));
  return programme;
}
