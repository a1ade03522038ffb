// @ts-check
/**
 * A person's calendar link (`.ics`): make it (shown once, as the server keeps only a hash),
 * make a new one (the old stops working) or stop it. Mounted into an empty element, with the
 * API path of the person's feed: `/me/memberships/{id}/calendar` (a doctor) or
 * `/account/calendar` (a facilitator).
 */

import { get, post, request } from "./api.js";
import { t } from "./i18n.js";
import { busy, h, say } from "./ui.js";

/** @typedef {{active: boolean, created_at: string | null}} FeedState */

/**
 * @param {HTMLElement} box where the calendar link lives (emptied)
 * @param {string} path the feed's API path
 * @param {string} whose whose sessions it holds: `calendar.intro.group` or `calendar.intro.account`
 */
export async function mountCalendarLink(box, path, whose) {
  const out = h("div", { className: "msg", role: "status", hidden: true });
  const field = h("input", { id: `${box.id}-url`, className: "link-box", readOnly: true });
  const shown = h("div", { hidden: true },
    h("label", { for: field.id }, t("calendar.link")), field,
    h("p", { className: "hint" }, t("calendar.once")));
  const make = h("button", { type: "button" }, t("calendar.make"));
  const stop = h("button", { type: "button", className: "secondary" }, t("calendar.stop"));
  const state = h("p", {});
  box.replaceChildren(h("h3", {}, t("calendar.link")),
    h("p", { className: "muted" }, t(whose)),
    state, shown, h("div", { className: "actions" }, make, stop), out);

  /** @param {FeedState} feed */
  const render = (feed) => {
    state.textContent = t(feed.active ? "calendar.active" : "calendar.none");
    make.textContent = t(feed.active ? "calendar.makeNew" : "calendar.make");
    stop.hidden = !feed.active;
  };
  make.addEventListener("click", () => busy(make, out, async () => {
    /** @type {{url: string, created_at: string}} */
    const link = await post(path);
    field.value = link.url;
    shown.hidden = false;
    render({ active: true, created_at: link.created_at });
    say(out, t("calendar.ready"), "ok");
    field.focus();
    field.select();
  }));
  stop.addEventListener("click", () => busy(stop, out, async () => {
    await request("DELETE", path);
    shown.hidden = true;
    field.value = "";
    render({ active: false, created_at: null });
    say(out, t("calendar.stopped"), "ok");
  }));
  /** @type {FeedState} */
  const feed = await get(path);
  render(feed);
}
