// @ts-check
/**
 * A person's calendar link (`.ics`): make it (shown once, as the server keeps only a hash),
 * make a new one (the old stops working) or stop it. Mounted into an empty element, with the
 * API path of the person's feed: `/me/memberships/{id}/calendar` (a doctor) or
 * `/account/calendar` (a facilitator).
 */

import { get, post, request } from "./api.js";
import { busy, h, say } from "./ui.js";

/** @typedef {{active: boolean, created_at: string | null}} FeedState */

/**
 * @param {HTMLElement} box where the calendar link lives (emptied)
 * @param {string} path the feed's API path
 * @param {string} what whose sessions it holds, e.g. "this group's sessions"
 */
export async function mountCalendarLink(box, path, what) {
  const out = h("div", { className: "msg", role: "status", hidden: true });
  const field = h("input", { id: `${box.id}-url`, className: "link-box", readOnly: true });
  const shown = h("div", { hidden: true },
    h("label", { for: field.id }, "Calendar link"), field,
    h("p", { className: "hint" }, "It is shown only this once. Add it to your calendar program "
      + "as a subscription (\"From URL\"). Keep it private: anyone with it sees the times."));
  const make = h("button", { type: "button" }, "Make a calendar link");
  const stop = h("button", { type: "button", className: "secondary" }, "Stop the calendar link");
  const state = h("p", {});
  box.replaceChildren(h("h3", {}, "Calendar link"),
    h("p", { className: "muted" }, `Your calendar can follow ${what}, with changes and `
      + "cancellations. It names no one and does not let anyone in."),
    state, shown, h("div", { className: "actions" }, make, stop), out);

  /** @param {FeedState} feed */
  const render = (feed) => {
    state.textContent = feed.active ? "You have a calendar link. Making a new one stops the old one."
      : "You have no calendar link.";
    make.textContent = feed.active ? "Make a new calendar link" : "Make a calendar link";
    stop.hidden = !feed.active;
  };
  make.addEventListener("click", () => busy(make, out, async () => {
    /** @type {{url: string, created_at: string}} */
    const link = await post(path);
    field.value = link.url;
    shown.hidden = false;
    render({ active: true, created_at: link.created_at });
    say(out, "Your new calendar link is ready to copy.", "ok");
    field.focus();
    field.select();
  }));
  stop.addEventListener("click", () => busy(stop, out, async () => {
    await request("DELETE", path);
    shown.hidden = true;
    field.value = "";
    render({ active: false, created_at: null });
    say(out, "Your calendar link has stopped working.", "ok");
  }));
  /** @type {FeedState} */
  const feed = await get(path);
  render(feed);
}
