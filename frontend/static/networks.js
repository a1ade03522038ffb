// @ts-check
/**
 * Peer networks, `/networks`: an admin creates networks, gives each its rooms and times and
 * marks its hosts; a host sees the networks they host for, with each room's times, the link to
 * share and "Host this room" while it is open. Counts of visitors are not shown: none are kept.
 */

import { requireAccount } from "./account.js";
import { del, get, post } from "./api.js";
import { when } from "./format.js";
import { $, $as, busy, h, message, say } from "./ui.js";
import { ready } from "./i18n.js";

/** @typedef {import("./dropin-types.js").PeerNetwork} PeerNetwork */
/** @typedef {import("./dropin-types.js").DropInRoom} DropInRoom */

/** @type {import("./account-types.js").AccountDetail[]} */
let accounts = [];
/** @type {import("./types.js").Account | null} */
let me = null;

/** @param {DropInRoom} room */
function roomTimes(room) {
  if (room.open_now && room.current) return `Open now, until ${when(room.current.ends_at, room.timezone)}`;
  return room.next ? `Next open ${when(room.next.starts_at, room.timezone)}` : "No more openings";
}

/** @param {PeerNetwork} network @param {() => Promise<void>} again */
function roomList(network, again) {
  return h("ul", { className: "plain" }, ...network.rooms.map((room) => {
    const remove = me?.is_admin ? h("button", { type: "button", className: "danger" }, "Delete",
      h("span", { className: "visually-hidden" }, ` ${room.name}`)) : null;
    remove?.addEventListener("click", () => void busy(remove, $("problem"), async () => {
      if (!confirm(`Delete ${room.name}? If it is open now, it closes for everyone in it.`)) return;
      await del(`/peer-networks/${network.id}/rooms/${room.id}`);
      await again();
    }));
    return h("li", { className: "row" },
      h("div", {}, h("strong", {}, room.name), " ",
        room.open_now ? h("span", { className: "tag", "data-state": "open" }, room.hosted ? "Open, hosted" : "Open") : "",
        h("div", { className: "muted" }, `${room.description}. ${roomTimes(room)}.`)),
      h("div", { className: "actions" },
        network.hosting && room.open_now
          ? h("a", { className: "button", href: `/drop-in-room?room=${encodeURIComponent(room.id)}` },
            "Host this room", h("span", { className: "visually-hidden" }, ` ${room.name}`))
          : "", remove));
  }));
}

/** @param {PeerNetwork} network @param {() => Promise<void>} again */
function linkBlock(network, again) {
  const id = `link-${network.id}`;
  const input = h("input", { id, readOnly: true, value: new URL(network.link, location.origin).href });
  const copy = h("button", { type: "button", className: "secondary" }, "Copy the link");
  const copied = h("span", { role: "status" });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      copied.textContent = "Copied.";
    } catch {
      input.select();
      copied.textContent = "Selected: press Ctrl+C (or Cmd+C) to copy.";
    }
  });
  const replace = me?.is_admin ? h("button", { type: "button", className: "danger" }, "Replace the link") : null;
  replace?.addEventListener("click", () => void busy(replace, $("problem"), async () => {
    if (!confirm("Replace the link? The old one stops working at once.")) return;
    await post(`/peer-networks/${network.id}/link`);
    say($("status"), `${network.name} has a new link.`, "ok");
    await again();
  }));
  return h("div", {}, h("label", { for: id }, "The network's link ",
    h("span", { className: "hint" }, "Share it with the doctors the network is for")),
  input, h("div", { className: "actions" }, copy, copied, replace));
}

/** @param {PeerNetwork} network @param {() => Promise<void>} again */
function adminBlock(network, again) {
  const prefix = `n-${network.id}`;
  const hosts = h("ul", { className: "plain" }, ...network.hosts.map((host) => {
    const remove = h("button", { type: "button", className: "secondary" }, "Remove",
      h("span", { className: "visually-hidden" }, ` ${host.display_name} as a host`));
    remove.addEventListener("click", () => void busy(remove, $("problem"), async () => {
      await del(`/peer-networks/${network.id}/hosts/${host.account_id}`);
      await again();
    }));
    return h("li", { className: "row" }, h("span", {}, host.display_name), remove);
  }));
  const pick = h("select", { id: `${prefix}-host` }, ...accounts
    .filter((a) => !network.hosts.some((x) => x.account_id === a.id))
    .map((a) => new Option(`${a.display_name} (${a.email})`, a.id)));
  const add = h("button", { type: "button" }, "Add as a host");
  add.addEventListener("click", () => void busy(add, $("problem"), async () => {
    if (!pick.value) return;
    await post(`/peer-networks/${network.id}/hosts`, { account_id: pick.value });
    await again();
  }));

  const field = (/** @type {string} */ key, /** @type {string} */ label, /** @type {Record<string, unknown>} */ props) =>
    [h("label", { for: `${prefix}-${key}` }, label), h("input", { id: `${prefix}-${key}`, ...props })];
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "Europe/London";
  const form = h("form", { className: "card", noValidate: true },
    h("h3", {}, "Add a room"),
    ...field("room-name", "Room name", { maxLength: 120, required: true }),
    h("label", { for: `${prefix}-freq` }, "How often"),
    h("select", { id: `${prefix}-freq` }, new Option("Every week", "weekly"),
      new Option("Every other week", "fortnightly"), new Option("Once a month", "monthly")),
    ...field("date", "First day", { type: "date", required: true }),
    ...field("time", "Opens at", { type: "time", required: true, value: "12:30" }),
    ...field("minutes", "Open for (minutes)", { type: "number", min: 15, max: 480, value: 60, inputMode: "numeric" }),
    ...field("zone", "Time zone", { value: zone, maxLength: 64 }),
    h("div", { className: "actions" }, h("button", { type: "submit" }, "Add the room")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (/** @type {string} */ key) => /** @type {HTMLInputElement} */ ($(`${prefix}-${key}`)).value.trim();
    const button = /** @type {HTMLButtonElement} */ (form.querySelector("button[type=submit]"));
    void busy(button, $("problem"), async () => {
      if (!value("room-name") || !value("date") || !value("time")) {
        say($("problem"), "Give the room a name, a first day and a time.", "error");
        return;
      }
      await post(`/peer-networks/${network.id}/rooms`, { name: value("room-name"),
        frequency: value("freq"), start_date: value("date"), start_time: value("time"),
        duration_minutes: Number(value("minutes") || 60), timezone: value("zone") || zone });
      say($("status"), `Room ${value("room-name")} added to ${network.name}.`, "ok");
      await again();
    });
  });
  const adding = pick.options.length
    ? [h("label", { for: `${prefix}-host` }, "Add a trained peer supporter"), pick,
      h("div", { className: "actions" }, add)]
    : [h("p", { className: "muted" }, "Every account hosts this network. Peer supporters need "
      + "an account (Accounts page) before they can host.")];
  const drop = h("button", { type: "button", className: "danger" }, "Delete the network",
    h("span", { className: "visually-hidden" }, ` ${network.name}`));
  drop.addEventListener("click", () => void busy(drop, $("problem"), async () => {
    if (!confirm(`Delete ${network.name}, its rooms and its hosts? Its link stops working.`)) return;
    await del(`/peer-networks/${network.id}`);
    say($("status"), `${network.name} is deleted.`, "ok");
    await again();
  }));
  return h("div", {},
    h("h3", {}, "Hosts"), network.hosts.length ? hosts : h("p", { className: "muted" }, "No hosts yet."),
    ...adding, form, h("div", { className: "actions" }, drop));
}

async function list() {
  /** @type {PeerNetwork[]} */
  const networks = await get("/peer-networks");
  const again = () => list().catch((e) => say($("problem"), message(e), "error"));
  $("networks").replaceChildren(...networks.map((network) => h("li", { className: "card" },
    h("h2", {}, network.name),
    h("p", { className: "muted" }, network.scope === "regional" ? `Regional: ${network.region || "no region given"}` : "Trust-wide",
      network.hosting ? ". You host for this network." : "."),
    linkBlock(network, again),
    h("h3", {}, "Rooms"), network.rooms.length ? roomList(network, again) : h("p", { className: "muted" }, "No rooms yet."),
    me?.is_admin ? adminBlock(network, again) : "")));
  $("empty").hidden = networks.length > 0 || Boolean(me?.is_admin);
}

function wireCreate() {
  $("create").hidden = false;
  const form = $as("create-form", HTMLFormElement);
  const button = $as("create-submit", HTMLButtonElement);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id)).value.trim();
    if (!value("n-name")) {
      say($("create-status"), "Give the network a name.", "error");
      $("n-name").focus();
      return;
    }
    void busy(button, $("create-status"), async () => {
      const scope = /** @type {HTMLInputElement} */ (form.querySelector("input[name=scope]:checked")).value;
      /** @type {Record<string, unknown>} */
      const body = { name: value("n-name"), scope, region: value("n-region") };
      if (value("n-rules")) body.ground_rules = value("n-rules");
      await post("/peer-networks", body);
      form.reset();
      say($("create-status"), "", "ok");
      say($("status"), `The network ${body.name} is ready: add its rooms and hosts below.`, "ok");
      await list();
    });
  });
}

async function main() {
  await ready("common", "pages");  // the shared words (dates, errors); this page's own are en-GB
  me = await requireAccount();
  try {
    if (me.is_admin) {
      accounts = (await get("/accounts")).filter(
        (/** @type {import("./account-types.js").AccountDetail} */ a) => !a.disabled_at);
      wireCreate();
    }
    await list();
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

main();
