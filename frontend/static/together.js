// @ts-check
/**
 * What people do together inside a session, beyond the round: pairs (the small rooms of a
 * pairs phase, with their clock and bells), the private word to the facilitators ("I need a
 * moment", a short message, the facilitator's private answer) and the group's chat. Loaded by
 * room.js with `import()` once the room is connected, for everyone (the room page's first
 * download stays within its budget); the facilitator's part is drawn under their panel.
 *
 * Nothing here is stored: chat and private words are shown in the page and are gone with it.
 * Text is always text (`textContent`): a link in the chat is never made a link or fetched.
 */

import { pulse, signposting } from "./checkout.js";
import { clock } from "./roundview.js";
import { $, busy, h, say } from "./ui.js";

/** @typedef {import("./events.js").LiveState} LiveState */
/** @typedef {import("./events.js").PairsView} PairsView */
/**
 * @typedef {{act: (kind: string, data: Record<string, unknown>) => void,
 *   serverNow: () => number}} Link
 */

/** @type {Link} */
let link;
let me = "";
let group = "";
let leads = false;
/** The close: the signposting card and the pulse, shown once. */
let closing = false;
/** @type {(id: string) => string} */
let nameOf = (id) => id;
/** @type {LiveState | null} */
let live = null;
/** Private messages to the facilitators this session (facilitators' page only). @type {{sender: string, text: string}[]} */
const inbox = [];
/** What the facilitator is typing in each answer, kept across redraws. @type {Record<string, string>} */
const drafts = {};
/** The group picked for each person while arranging by hand, kept across redraws. @type {Record<string, string>} */
const picked = {};
/** The facilitator has opened "Arrange the groups yourself" (kept across redraws). */
let arranging = false;
/** Messages and answers that came while the panel was closed. */
let unread = 0;

/** @param {string} text */
const tell = (text) => { $("announce").textContent = text; };

/** @param {string[]} ids */
const names = (ids) => ids.map(nameOf).join(" and ") || "nobody";

/**
 * Show the chat, the private word (members) and, for facilitators, their part of it.
 * @param {Link} l @param {string} participant @param {(id: string) => string} name @param {string} role
 * @param {string} groupId
 */
export function mount(l, participant, name, role, groupId) {
  link = l;
  me = participant;
  group = groupId;
  nameOf = name;
  leads = role !== "member";
  document.head.append(h("link", { rel: "stylesheet", href: "/static/together.css" }));
  const text = h("input", { id: "chat-text", type: "text", maxLength: 500, autocomplete: "off" });
  const send = h("button", { type: "button", id: "chat-send", className: "secondary" }, "Send to everyone");
  const post = () => {
    if (!text.value.trim()) return;
    link.act("chat", { action: "say", text: text.value });
    text.value = "";
  };
  send.addEventListener("click", post);
  text.addEventListener("keydown", (e) => { if (e.key === "Enter") post(); });
  // In the flow only while there is something to show (the tiles keep their room): the pairs'
  // note and, at the close, the card. The chat and the private word are a panel over the room,
  // opened from the controls.
  $("grid").after(h("p", { id: "pairs-note", className: "pairs-note", hidden: true }),
    h("div", { id: "closing", hidden: true }));
  const panel = h("section", { id: "together", className: "together", hidden: true, "aria-labelledby": "together-title" },
    h("h2", { id: "together-title" }, leads ? "Chat" : "Chat and a private word"),
    leads ? null : privateWord(),
    h("h3", {}, "Chat"),
    h("p", { className: "status" }, "Only for this session: it is not kept, and disappears when the session ends."),
    h("ol", { id: "chat-log", className: "chat-log", "aria-live": "polite" }),
    h("p", { id: "chat-off", className: "status", hidden: true }, "The facilitator has turned the chat off."),
    h("label", { for: "chat-text" }, "Message to everyone"), text, send);
  // in the phase's line, small: a control more would take the tiles' room on a phone
  const toggle = h("button", { type: "button", id: "together-toggle", className: "together-toggle secondary", "aria-expanded": "false", "aria-controls": "together" }, "Chat");
  /** @param {boolean} open */
  const show = (open) => {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (!open) return;
    panel.style.top = `${toggle.getBoundingClientRect().bottom + 8}px`;
    unread = 0;
    toggle.textContent = "Chat";
    /** @type {HTMLElement | null} */ (panel.querySelector("button, textarea, input"))?.focus();
  };
  toggle.addEventListener("click", () => show(Boolean(panel.hidden)));
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { show(false); toggle.focus(); }
  });
  /** @type {HTMLElement} */ ($("phase").parentElement).append(toggle);
  document.body.append(panel);
  if (leads) $("fac-body").append(h("div", { id: "together-fac" }));
  setInterval(showClock, 1000);
}

/** Something new in the closed panel: the Chat button says so. */
function unseen() {
  if (!$("together").hidden) return;
  unread += 1;
  $("together-toggle").textContent = `Chat (${unread} new)`;
}

/** A member's private word to the facilitators. */
function privateWord() {
  const moment = h("button", { type: "button", id: "moment", className: "secondary", "aria-pressed": "false" }, "I need a moment");
  moment.addEventListener("click", () => link.act("word", { action: "moment", on: moment.getAttribute("aria-pressed") !== "true" }));
  const text = h("textarea", { id: "word-text", maxLength: 500, rows: 2 });
  const send = h("button", { type: "button", className: "secondary" }, "Send to the facilitators");
  send.addEventListener("click", () => {
    if (!text.value.trim()) return;
    link.act("word", { action: "message", text: text.value });
    say($("word-sent"), "Sent to the facilitators only.", "ok");
    text.value = "";
  });
  return h("div", { className: "private-word" }, moment,
    h("label", { for: "word-text" }, "Write to the facilitators privately: only they see this"), text, send,
    h("p", { id: "word-sent", role: "status", hidden: true }),
    h("ul", { id: "word-log", className: "word-log", "aria-live": "polite" }));
}

/** A server event. @param {string} kind @param {any} data */
export function on(kind, data) {
  if (kind === "state") {
    live = data;
    showState(data);
  } else if (kind === "notice" && data.about === "pairs") {
    pairsNotice(data);
  } else if (kind === "chat") {
    $("chat-log").append(h("li", {}, h("b", {}, `${data.sender === me ? "You" : nameOf(data.sender)}: `), data.text));
    if (data.sender !== me) unseen();
  } else if (kind === "word") {
    word(data);
  }
}

/** @param {import("./events.js").Word} w */
function word(w) {
  if (w.action === "reply" && !leads) {
    $("word-log").append(h("li", {}, `${nameOf(w.sender)} (only you see this): `, w.text || ""));
    tell(`${nameOf(w.sender)} answered you privately.`);
    unseen();
  } else if (w.action === "message") {
    inbox.push({ sender: w.sender, text: w.text || "" });
    tell(`${nameOf(w.sender)} wrote to the facilitators privately.`);
  } else if (w.action === "moment" && w.on) {
    tell(`${nameOf(w.sender)} needs a moment.`);
  } else if (w.action === "reply") {
    inbox.push({ sender: w.sender, text: `answered: ${w.text || ""}` });
  }
  if (live) showState(live);
}

/** @param {import("./events.js").PairsNotice} n */
function pairsNotice(n) {
  const who = n.participant_id ? nameOf(n.participant_id) : "";
  const words = {
    start: "Into pairs: one speaks, the other listens; swap at the bell.",
    swap: "The bell: swap. The other one speaks now.",
    one_minute_left: "One minute, then everyone comes back together.",
    returned: "Everyone is back together.",
    visit: `${who} has joined your group.`,
    visit_end: `${who} has left your group.`,
    partner_left: `${who}'s connection dropped. They will come back to the whole group.`,
  }[n.event];
  if (words) tell(words);
}

/** @param {LiveState} state */
function showState(state) {
  const p = state.pairs?.status === "running" ? state.pairs : null;
  const mine = p && p.mine !== null ? [...p.groups[p.mine], ...Object.keys(p.visitors).filter((v) => p.visitors[v] === p.mine)] : null;
  for (const tile of document.querySelectorAll(".tile[data-id]")) {
    const id = /** @type {HTMLElement} */ (tile).dataset.id || "";
    /** @type {HTMLElement} */ (tile).dataset.apart = String(Boolean(mine && id !== "self" && !mine.includes(id)));
  }
  showClock();
  const moment = document.getElementById("moment");
  if (moment) {
    moment.setAttribute("aria-pressed", String(state.moment));
    moment.textContent = state.moment ? "I need a moment (the facilitators know)" : "I need a moment";
  }
  $("chat-off").hidden = state.chat;
  for (const id of ["chat-text", "chat-send"]) /** @type {HTMLInputElement} */ ($(id)).disabled = !state.chat;
  if (!state.chat) $("chat-log").replaceChildren();
  if (leads) facilitatorPart(state);
  const close = state.phase?.kind === "close" && state.phase.status !== "pending";
  if (!closing && (close || state.phases_status === "ended")) void showClosing();
}

/** At the close: where to get support, and (members) the one-tap pulse. */
async function showClosing() {
  closing = true;
  const session = new URLSearchParams(location.search).get("session") || "";
  const card = await signposting(group).catch(() => null);
  const ask = leads ? null : pulse(session);
  $("closing").replaceChildren(...[card, ask].filter((x) => x !== null));
  $("closing").hidden = false;
}

function showClock() {
  if (document.documentElement.dataset.over === "true") {  // the session ended: nothing stays
    for (const id of ["chat-log", "word-log", "together-fac"]) document.getElementById(id)?.replaceChildren();
    inbox.length = 0;
    $("together-toggle").hidden = true;
    $("pairs-note").hidden = true;
    for (const k of Object.keys(drafts)) delete drafts[k];
    $("together").hidden = true;
    return;
  }
  const p = live?.pairs;
  const note = $("pairs-note");
  if (!p || p.status !== "running") { note.hidden = true; return; }
  const left = p.deadline === null ? 0 : Math.max(0, p.deadline - link.serverNow());
  const others = p.mine === null ? [] : [...p.groups[p.mine], ...Object.keys(p.visitors)].filter((id) => id !== me);
  note.hidden = false;
  note.textContent = p.mine === null
    ? `The others are in pairs: ${clock(left)} until everyone comes back.`
    : `In a pair with ${names(others)}: ${clock(left)} left. One speaks, the other listens; swap at the bell.`;
}

/**
 * A button that sends an action. @param {string} label @param {string} kind
 * @param {Record<string, unknown>} data @param {string} [className]
 */
function act(label, kind, data, className = "secondary") {
  const b = h("button", { type: "button", className }, label);
  b.addEventListener("click", () => link.act(kind, data));
  return b;
}

/** The facilitator's part: pairs, moments, private messages, the chat switch. @param {LiveState} state */
function facilitatorPart(state) {
  const inControl = state.controller === me;
  const moments = state.moments || [];
  const focused = document.activeElement?.id;
  $("together-fac").replaceChildren(
    inControl && state.phase?.kind === "pairs" && ["running", "paused"].includes(state.phase.status) ? pairsSection(state) : "",
    h("section", {}, h("h2", {}, "Private words"),
      moments.length ? h("ul", { "aria-label": "Needs a moment" }, ...moments.map((id) => h("li", {}, `${nameOf(id)} needs a moment`)))
        : h("p", { className: "status" }, "Nobody has asked for a moment."),
      inbox.length ? h("ul", { "aria-label": "Private messages" }, ...inbox.map((m, i) => message(m, i))) : ""),
    inControl ? h("p", { className: "row-actions" },
      act(state.hands.by_time ? "Hands in the order raised" : "Hands: least spoken first", "hand", { action: "order_by_time", enabled: !state.hands.by_time }),
      state.chat ? act("Turn the chat off", "chat", { action: "off" }) : act("Turn the chat on", "chat", { action: "on" })) : "");
  if (focused) document.getElementById(focused)?.focus();  // a redraw keeps the keyboard's place
}

/** One private message, with a private answer. @param {{sender: string, text: string}} m @param {number} i */
function message(m, i) {
  const id = `reply-${i}`;
  const text = h("input", { id, type: "text", maxLength: 500, autocomplete: "off", value: drafts[id] || "" });
  text.addEventListener("input", () => { drafts[id] = text.value; });
  const answer = h("button", { type: "button", className: "secondary" }, `Answer ${nameOf(m.sender)} privately`);
  answer.addEventListener("click", () => void busy(answer, $("fac-status"), async () => {
    if (text.value.trim()) link.act("word", { action: "reply", participant_id: m.sender, text: text.value });
    text.value = drafts[id] = "";
  }));
  return h("li", {}, h("p", {}, `${nameOf(m.sender)} (private): `, m.text),
    m.sender === me || m.text.startsWith("answered: ") ? "" : h("span", {}, h("label", { for: id }, `Answer to ${nameOf(m.sender)}`), text, answer));
}

/** The facilitator arranges the groups by hand: a group for each person. @param {PairsView} p */
function arrange(p) {
  const people = p.groups.flat();
  const count = Math.max(p.groups.length, Math.floor(people.length / 2));
  const selects = people.map((id) => {
    const now = String(p.groups.findIndex((g) => g.includes(id)));
    const select = h("select", { id: `group-of-${id}`, "data-who": id }, ...Array.from({ length: count }, (_, i) =>
      h("option", { value: String(i), selected: String(i) === (picked[id] ?? now) }, `Group ${i + 1}`)));
    select.addEventListener("change", () => { picked[id] = select.value; });
    return select;
  });
  const use = h("button", { type: "button", className: "secondary" }, "Use these groups");
  use.addEventListener("click", () => {
    /** @type {string[][]} */
    const groups = Array.from({ length: count }, () => []);
    for (const s of selects) groups[Number(s.value)].push(s.dataset.who || "");
    for (const id of people) delete picked[id];
    arranging = false;
    link.act("pairs", { action: "arrange", arrangement: "manual", groups: groups.filter((g) => g.length) });
  });
  const box = h("details", { open: arranging }, h("summary", {}, "Arrange the groups yourself"),
    ...people.flatMap((id, i) => [h("label", { for: `group-of-${id}` }, nameOf(id)), selects[i]]), use);
  box.addEventListener("toggle", () => { arranging = box.open; });
  return box;
}

/** @param {LiveState} state */
function pairsSection(state) {
  const p = state.pairs;
  const running = p?.status === "running";
  const visiting = p ? p.visitors[me] : undefined;
  const groups = p ? h("ol", { "aria-label": "Pairs" }, ...p.groups.map((g, i) => h("li", { "data-members": g.join(" ") },
    `Group ${i + 1}: ${names(g)}`, running && visiting !== i && !g.includes(me) ? act(`Join group ${i + 1}`, "pairs", { action: "visit", group: i }) : ""))) : "";
  return h("section", {}, h("h2", {}, running ? "In pairs" : "Pairs"), groups,
    p && !running ? arrange(p) : "",
    running ? h("p", { className: "row-actions" }, act("+1 min for the pairs", "pairs", { action: "extend" }),
      visiting !== undefined ? act("Back to the whole group", "pairs", { action: "visit", group: null }) : "",
      act("Everyone back now", "pairs", { action: "bring_back" }, "danger"))
      : h("p", { className: "row-actions" }, act("Arrange at random", "pairs", { action: "arrange" }),
        act("Keep last time's pairs", "pairs", { action: "arrange", arrangement: "kept" }),
        act("Arrange with the facilitators too", "pairs", { action: "arrange", facilitators: true }),
        p ? act("Send everyone into pairs", "pairs", { action: "start" }, "") : ""));
}
