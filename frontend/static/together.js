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
import { has, ready, t } from "./i18n.js";
import { clock } from "./roundview.js";
import { $, busy, h, say } from "./ui.js";

// this part's words, fetched when the room has connected (and checkout.js asked for them too)
await ready("together");

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
/**
 * Private messages to the facilitators this session (facilitators' page only), and their
 * answers (`answered`). @type {{sender: string, text: string, answered?: boolean}[]}
 */
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

/** "Siân and Owain" (Welsh "ac" before a vowel). @param {string[]} ids */
const names = (ids) => (ids.length ? ids.map(nameOf).reduce((a, b) =>
  t(/^[aeiouâêîôû]/i.test(b) ? "together.names.andVowel" : "together.names.and", { a, b })) : t("together.names.nobody"));

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
  const send = h("button", { type: "button", id: "chat-send", className: "secondary" }, t("together.chat.send"));
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
    h("h2", { id: "together-title" }, t(leads ? "together.chat.title" : "together.chat.titleMember")),
    leads ? null : privateWord(),
    h("h3", {}, t("together.chat.title")),
    h("p", { className: "status" }, t("together.chat.kept")),
    h("ol", { id: "chat-log", className: "chat-log", "aria-live": "polite" }),
    h("p", { id: "chat-off", className: "status", hidden: true }, t("together.chat.off")),
    h("label", { for: "chat-text" }, t("together.chat.label")), text, send);
  // in the phase's line, small: a control more would take the tiles' room on a phone
  const toggle = h("button", { type: "button", id: "together-toggle", className: "together-toggle secondary", "aria-expanded": "false", "aria-controls": "together" }, t("together.chat.title"));
  /** @param {boolean} open */
  const show = (open) => {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (!open) return;
    panel.style.top = `${toggle.getBoundingClientRect().bottom + 8}px`;
    unread = 0;
    toggle.textContent = t("together.chat.title");
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
  $("together-toggle").textContent = t("together.chat.unread", { count: unread });
}

/** A member's private word to the facilitators. */
function privateWord() {
  const moment = h("button", { type: "button", id: "moment", className: "secondary", "aria-pressed": "false" }, t("together.moment"));
  moment.addEventListener("click", () => link.act("word", { action: "moment", on: moment.getAttribute("aria-pressed") !== "true" }));
  const text = h("textarea", { id: "word-text", maxLength: 500, rows: 2 });
  const send = h("button", { type: "button", className: "secondary" }, t("together.word.send"));
  send.addEventListener("click", () => {
    if (!text.value.trim()) return;
    link.act("word", { action: "message", text: text.value });
    say($("word-sent"), t("together.word.sent"), "ok");
    text.value = "";
  });
  return h("div", { className: "private-word" }, moment,
    h("label", { for: "word-text" }, t("together.word.label")), text, send,
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
    $("chat-log").append(h("li", {}, h("b", {}, t("together.chat.from", { name: data.sender === me ? t("together.chat.you") : nameOf(data.sender) })), data.text));
    if (data.sender !== me) unseen();
  } else if (kind === "word") {
    word(data);
  }
}

/** @param {import("./events.js").Word} w */
function word(w) {
  if (w.action === "reply" && !leads) {
    $("word-log").append(h("li", {}, t("together.word.reply", { name: nameOf(w.sender) }), w.text || ""));
    tell(t("together.say.replied", { name: nameOf(w.sender) }));
    unseen();
  } else if (w.action === "message") {
    inbox.push({ sender: w.sender, text: w.text || "" });
    tell(t("together.say.wrote", { name: nameOf(w.sender) }));
  } else if (w.action === "moment" && w.on) {
    tell(t("together.say.moment", { name: nameOf(w.sender) }));
  } else if (w.action === "reply") {
    inbox.push({ sender: w.sender, text: w.text || "", answered: true });
  }
  if (live) showState(live);
}

/** @param {import("./events.js").PairsNotice} n */
function pairsNotice(n) {
  const who = n.participant_id ? nameOf(n.participant_id) : "";
  // together.bell.start, .swap, .one_minute_left, .returned, .visit, .visit_end, .partner_left
  const key = `together.bell.${n.event}`;
  if (has(key)) tell(t(key, { name: who }));
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
    moment.textContent = t(state.moment ? "together.momentKnown" : "together.moment");
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
    ? t("together.pairs.others", { time: clock(left) })
    : t("together.pairs.mine", { names: names(others), time: clock(left) });
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
    h("section", {}, h("h2", {}, t("together.fac.words")),
      moments.length ? h("ul", { "aria-label": t("together.fac.moments") }, ...moments.map((id) => h("li", {}, t("together.fac.moment", { name: nameOf(id) }))))
        : h("p", { className: "status" }, t("together.fac.noMoments")),
      inbox.length ? h("ul", { "aria-label": t("together.fac.messages") }, ...inbox.map((m, i) => message(m, i))) : ""),
    inControl ? h("p", { className: "row-actions" },
      act(t(state.hands.by_time ? "together.fac.handsByTime" : "together.fac.handsLeastSpoken"), "hand", { action: "order_by_time", enabled: !state.hands.by_time }),
      state.chat ? act(t("together.fac.chatOff"), "chat", { action: "off" }) : act(t("together.fac.chatOn"), "chat", { action: "on" })) : "");
  if (focused) document.getElementById(focused)?.focus();  // a redraw keeps the keyboard's place
}

/** One private message, with a private answer. @param {{sender: string, text: string, answered?: boolean}} m @param {number} i */
function message(m, i) {
  const id = `reply-${i}`;
  const text = h("input", { id, type: "text", maxLength: 500, autocomplete: "off", value: drafts[id] || "" });
  text.addEventListener("input", () => { drafts[id] = text.value; });
  const answer = h("button", { type: "button", className: "secondary" }, t("together.fac.answer", { name: nameOf(m.sender) }));
  answer.addEventListener("click", () => void busy(answer, $("fac-status"), async () => {
    if (text.value.trim()) link.act("word", { action: "reply", participant_id: m.sender, text: text.value });
    text.value = drafts[id] = "";
  }));
  return h("li", {}, h("p", {}, t("together.fac.message", { name: nameOf(m.sender) }), m.answered ? t("together.fac.answered", { text: m.text }) : m.text),
    m.sender === me || m.answered ? "" : h("span", {}, h("label", { for: id }, t("together.fac.answerTo", { name: nameOf(m.sender) })), text, answer));
}

/** The facilitator arranges the groups by hand: a group for each person. @param {PairsView} p */
function arrange(p) {
  const people = p.groups.flat();
  const count = Math.max(p.groups.length, Math.floor(people.length / 2));
  const selects = people.map((id) => {
    const now = String(p.groups.findIndex((g) => g.includes(id)));
    const select = h("select", { id: `group-of-${id}`, "data-who": id }, ...Array.from({ length: count }, (_, i) =>
      h("option", { value: String(i), selected: String(i) === (picked[id] ?? now) }, t("together.pairs.group", { n: i + 1 }))));
    select.addEventListener("change", () => { picked[id] = select.value; });
    return select;
  });
  const use = h("button", { type: "button", className: "secondary" }, t("together.pairs.use"));
  use.addEventListener("click", () => {
    /** @type {string[][]} */
    const groups = Array.from({ length: count }, () => []);
    for (const s of selects) groups[Number(s.value)].push(s.dataset.who || "");
    for (const id of people) delete picked[id];
    arranging = false;
    link.act("pairs", { action: "arrange", arrangement: "manual", groups: groups.filter((g) => g.length) });
  });
  const box = h("details", { open: arranging }, h("summary", {}, t("together.pairs.arrange")),
    ...people.flatMap((id, i) => [h("label", { for: `group-of-${id}` }, nameOf(id)), selects[i]]), use);
  box.addEventListener("toggle", () => { arranging = box.open; });
  return box;
}

/** @param {LiveState} state */
function pairsSection(state) {
  const p = state.pairs;
  const running = p?.status === "running";
  const visiting = p ? p.visitors[me] : undefined;
  const groups = p ? h("ol", { "aria-label": t("together.pairs.title") }, ...p.groups.map((g, i) => h("li", { "data-members": g.join(" ") },
    t("together.pairs.groupOf", { n: i + 1, names: names(g) }), running && visiting !== i && !g.includes(me) ? act(t("together.pairs.join", { n: i + 1 }), "pairs", { action: "visit", group: i }) : ""))) : "";
  return h("section", {}, h("h2", {}, t(running ? "together.pairs.running" : "together.pairs.title")), groups,
    p && !running ? arrange(p) : "",
    running ? h("p", { className: "row-actions" }, act(t("together.pairs.extend"), "pairs", { action: "extend" }),
      visiting !== undefined ? act(t("together.pairs.back"), "pairs", { action: "visit", group: null }) : "",
      act(t("together.pairs.bringBack"), "pairs", { action: "bring_back" }, "danger"))
      : h("p", { className: "row-actions" }, act(t("together.pairs.random"), "pairs", { action: "arrange" }),
        act(t("together.pairs.kept"), "pairs", { action: "arrange", arrangement: "kept" }),
        act(t("together.pairs.withFacilitators"), "pairs", { action: "arrange", facilitators: true }),
        p ? act(t("together.pairs.start"), "pairs", { action: "start" }, "") : ""));
}
