// @ts-check
/**
 * The facilitator's panel in the room (loaded only for facilitators): choose the template and
 * move through its phases, run the round (start, pause, resume, +30 s, +1 min, next, pass on
 * someone's behalf, skip, reorder by dragging or with Move up / Move down), give the floor from
 * the hand queue, let people in from the lobby, lock the room, mute one or everyone, remove
 * someone, hand the controls to the co-facilitator, and see who has spoken how long.
 *
 * Every action is an `app` message over the room's socket (app/rounds/actions.py), except
 * choosing the template, which is `POST /sessions/{id}/facilitation`. The panel is redrawn from
 * each `state` event; the focused button is found again by its `data-key`. Speaking-time figures
 * (`talk_time`, facilitators only) update the bars in place and are never stored.
 */

import { get, post } from "./api.js";
import { clock } from "./format.js";
import { $, busy, h, say } from "./ui.js";

/** @typedef {import("./events.js").LiveState} LiveState */
/**
 * @typedef {{sessionId: string, groupId: string, me: string,
 *   act: (kind: string, data: Record<string, unknown>) => void,
 *   nameOf: (id: string) => string, roleOf: (id: string) => string,
 *   present: () => string[]}} Room
 */

const TURN_WORDS = /** @type {Record<string, string>} */ ({
  queued: "waiting", speaking: "speaking", paused: "paused", disconnected: "connection dropped",
  passed: "passed: offered again at the end", absent: "not here", finished: "finished",
  declined: "passed twice", skipped: "skipped", missed: "missed",
});

/** @type {Room} */
let room;
/** @type {LiveState | null} */
let live = null;
/** @type {Record<string, number>} */
let talk = {};
/** @type {{id: string, name: string}[] | null} */
let templates = null;
/** @type {string | null} */
let dragging = null;
/** What the facilitator chose in each select, kept across redraws. @type {Record<string, string>} */
const chosen = {};

/** Put the remembered choices back into the selects. */
function restoreChoices() {
  for (const [id, value] of Object.entries(chosen)) {
    const select = document.getElementById(id);
    if (select instanceof HTMLSelectElement && [...select.options].some((o) => o.value === value)) {
      select.value = value;
    }
  }
}

/** Show the panel for a facilitator. @param {Room} r */
export function mountFacilitation(r) {
  room = r;
  const panel = /** @type {HTMLDetailsElement} */ ($("facilitate"));
  panel.hidden = false;
  panel.open = matchMedia("(min-width: 48rem)").matches;
  $("fac-body").replaceChildren(h("p", { id: "fac-status", className: "fac-status", role: "status" }),
    h("div", { id: "fac-main" }));
  $("fac-body").addEventListener("change", (e) => {
    if (e.target instanceof HTMLSelectElement) chosen[e.target.id] = e.target.value;
  });
}

/** An action the server refused. @param {string} detail */
export function showRefusal(detail) {
  say($("fac-status"), detail.charAt(0).toUpperCase() + detail.slice(1), "error");
}

/** Speaking time so far, in seconds, per participant: update the bars. @param {Record<string, number>} seconds */
export function showTalk(seconds) {
  talk = seconds;
  const most = Math.max(60, ...Object.values(seconds));
  for (const el of document.querySelectorAll("[data-talk]")) {
    const id = /** @type {HTMLElement} */ (el).dataset.talk || "";
    const s = seconds[id] || 0;
    const bar = /** @type {HTMLElement} */ (el.querySelector(".talk > div"));
    bar.style.width = `${Math.round((s / most) * 100)}%`;
    /** @type {HTMLElement} */ (el.querySelector(".spoken")).textContent = s ? `${clock(s)} spoken` : "not spoken yet";
  }
}

/** Redraw from the server's state. @param {LiveState} state */
export function showFacilitation(state) {
  live = state;
  const key = /** @type {HTMLElement | null} */ (document.activeElement)?.dataset?.key;
  const inControl = state.controller === room.me;
  $("fac-main").replaceChildren(
    controls(state, inControl),
    ...(inControl ? [phaseSection(state), roundSection(state), handsSection(state),
      lobbySection(state), peopleSection(state)] : [peopleSection(state)]));
  showTalk(talk);
  restoreChoices();
  if (key) {  // keep the keyboard where it was; a row moved to an end keeps its other button
    const again = [key, key.replace(/^up:/, "down:"), key.replace(/^down:/, "up:")]
      .map((k) => document.querySelector(`[data-key="${k}"]`)).find(Boolean);
    /** @type {HTMLElement | undefined} */ (again)?.focus();
  }
}

/**
 * A button that runs an action. @param {string} label @param {string} key
 * @param {() => void | Promise<void>} run @param {string} [className]
 */
function button(label, key, run, className = "secondary") {
  const b = h("button", { type: "button", className, "data-key": key }, label);
  b.addEventListener("click", () => void busy(b, $("fac-status"), async () => {
    say($("fac-status"), "");
    await run();
  }));
  return b;
}

/** @param {string} kind @param {string} action @param {Record<string, unknown>} [more] */
const send = (kind, action, more = {}) => () => room.act(kind, { action, ...more });

/** @param {string} title @param {...(Node | string | null | false)} body */
const section = (title, ...body) => h("section", {}, h("h2", {}, title), ...body);

/** @param {...(Node | false | null)} buttons */
const actions = (...buttons) => h("div", { className: "row-actions" }, ...buttons);

/** @param {LiveState} state @param {boolean} inControl */
function controls(state, inControl) {
  const holder = state.controller;
  const text = inControl ? "You hold the controls."
    : holder ? `${room.nameOf(holder)} holds the controls.` : "Nobody holds the controls.";
  return h("p", {}, text, " ", !inControl && state.lead === room.me
    ? button("Take the controls back", "take-back", send("control", "take_back")) : "");
}

/** @param {LiveState} state */
function phaseSection(state) {
  if (!state.template) {
    const select = h("select", { id: "template" });
    const fill = () => {
      select.replaceChildren(...(templates || []).map((t) => h("option", { value: t.id }, t.name)));
      restoreChoices();
    };
    if (templates) fill();
    else void get(`/groups/${room.groupId}/templates`).then((list) => { templates = list; fill(); });
    return section("Session", h("label", { for: "template" }, "Template"), select,
      actions(button("Use this template", "use-template", async () => {
        await post(`/sessions/${room.sessionId}/facilitation`, { template_id: select.value });
      }, "")));
  }
  const phase = state.phase;
  const index = phase ? phase.index : 0;
  const next = state.phases[index + 1];
  const list = h("ol", {}, ...state.phases.map((title, i) => h("li", {},
    `${i + 1}. ${title}`, i === index && phase?.status !== "ended" ? h("span", { className: "status" }, " (now)") : "")));
  const presenterKinds = ["presentation", "discussion", "push_back_return"];
  return section(`Session: ${state.template}`, list, !phase || phase.status === "ended" ? h("p", {}, "The phases have ended.")
    : phase.status === "pending" ? actions(button(`Start: ${phase.title}`, "phase-start", send("phase", "start"), ""))
    : actions(
      phase.status === "paused" ? button("Resume the phase", "phase-resume", send("phase", "resume"))
        : button("Pause the phase", "phase-pause", send("phase", "pause")),
      button("+1 min", "phase-60", send("phase", "extend", { seconds: 60 })),
      button("+5 min", "phase-300", send("phase", "extend", { seconds: 300 })),
      button(next ? `Next phase: ${next}` : "End the phases", "phase-advance", send("phase", "advance"), "")),
  phase && presenterKinds.includes(phase.kind) && phase.status !== "ended" ? presenter(phase.presenter) : null);
}

/** @param {string | null} current */
function presenter(current) {
  const select = h("select", { id: "presenter" },
    h("option", { value: "" }, "Nobody"),
    ...room.present().map((id) => h("option", { value: id, selected: id === current }, room.nameOf(id))));
  return h("div", {}, h("label", { for: "presenter" }, "Presenter (listens during push-back)"), select,
    actions(button("Set the presenter", "presenter", () => room.act("phase",
      { action: "set_presenter", participant_id: select.value || null }))));
}

/** @param {LiveState} state */
function roundSection(state) {
  const round = state.round;
  if (!round) return h("div");
  const { status, current } = round;
  const name = current ? room.nameOf(current) : "";
  /** @type {HTMLButtonElement[]} */
  let buttons;
  if (status === "pending") {
    buttons = [button("Start the round", "round-start", startRound, "")];
  } else if (status === "running") {
    buttons = [
      round.paused ? button("Resume the turn", "round-resume", send("round", "resume"))
        : button("Pause the turn", "round-pause", send("round", "pause")),
      button("+30 s", "round-30", send("round", "extend", { seconds: 30 })),
      button("+1 min", "round-60", send("round", "extend", { seconds: 60 })),
      button(`Thank you, next`, "round-next", send("round", "next"), ""),
      button(`Pass for ${name}`, "round-pass", send("round", "pass")),
      button(`Skip ${name}`, "round-skip", send("round", "skip"))];
  } else if (status === "between") {
    buttons = [button(round.up_next ? `Invite ${room.nameOf(round.up_next)}` : "Finish the round",
      "round-next", send("round", "next"), "")];
  } else {
    buttons = [];
  }
  if (status !== "ended") buttons.push(button("End the round", "round-end", send("round", "end"), "danger"));
  const movable = (/** @type {import("./events.js").TurnView} */ t) =>
    status === "pending" || t.status === "queued";
  const order = round.turns.filter(movable).map((t) => t.participant_id);
  const list = h("ol", { "aria-label": "Order of turns" }, ...round.turns.map((t) => {
    const id = t.participant_id;
    const i = order.indexOf(id);
    const item = h("li", { "data-id": id, "data-current": String(id === current),
      draggable: i >= 0 },
      h("div", { className: "who" }, h("span", {}, room.nameOf(id)),
        h("span", { className: "status" }, id === current ? `${TURN_WORDS[t.status]} now` : TURN_WORDS[t.status] || t.status)),
      i >= 0 ? actions(
        i > 0 && button(`Move ${room.nameOf(id)} up`, `up:${id}`, () => move(order, i, i - 1)),
        i < order.length - 1 && button(`Move ${room.nameOf(id)} down`, `down:${id}`, () => move(order, i, i + 1)),
        button(`Skip ${room.nameOf(id)}`, `skip:${id}`, send("round", "skip", { participant_id: id }))) : null);
    if (i >= 0) dragAndDrop(item, id, order);
    return item;
  }));
  return section(`Round: ${status === "pending" ? "not started" : status === "between" ? "between turns" : status}`,
    actions(...buttons), list);
}

/** Before the first turn: the order leaves out the facilitators, then the round starts. */
function startRound() {
  const round = live?.round;
  if (!round) return;
  const ids = round.turns.map((t) => t.participant_id);
  const members = ids.filter((id) => !["facilitator", "co-facilitator"].includes(room.roleOf(id)));
  if (members.length && members.length < ids.length) room.act("round", { action: "setup", rule: "manual", order: members });
  room.act("round", { action: "start" });
}

/** @param {string[]} order @param {number} from @param {number} to */
function move(order, from, to) {
  const next = [...order];
  const [id] = next.splice(from, 1);
  next.splice(to, 0, id);
  sendOrder(next);
  say($("fac-status"), `${room.nameOf(id)} is now number ${to + 1} in the queue.`, "ok");
}

/** @param {string[]} order */
function sendOrder(order) {
  if (live?.round?.status === "pending") room.act("round", { action: "setup", rule: "manual", order });
  else room.act("round", { action: "reorder", order });
}

/** @param {HTMLLIElement} item @param {string} id @param {string[]} order */
function dragAndDrop(item, id, order) {
  item.addEventListener("dragstart", (e) => {
    dragging = id;
    item.dataset.dragging = "true";
    e.dataTransfer?.setData("text/plain", id);
  });
  item.addEventListener("dragend", () => { dragging = null; item.dataset.dragging = "false"; });
  item.addEventListener("dragover", (e) => { if (dragging && dragging !== id) e.preventDefault(); });
  item.addEventListener("drop", (e) => {
    e.preventDefault();
    if (!dragging || dragging === id) return;
    const from = order.indexOf(dragging);
    const to = order.indexOf(id);
    if (from >= 0 && to >= 0) move(order, from, to);
  });
}

/** @param {LiveState} state */
function handsSection(state) {
  const { raised, floor } = state.hands;
  return section("Hands", floor ? h("p", {}, `${room.nameOf(floor)} has the floor. `,
    button("Take the floor back", "floor-back", send("hand", "take_back"))) : "",
  raised.length ? h("ol", {}, ...raised.map((id) => h("li", {}, `${room.nameOf(id)}, hand raised`,
    actions(button(`Give ${room.nameOf(id)} the floor`, `give:${id}`, send("hand", "give", { participant_id: id }), ""),
      button(`Lower ${room.nameOf(id)}'s hand`, `lower:${id}`, send("hand", "lower", { participant_id: id }))))))
    : h("p", { className: "status" }, "No hands raised."));
}

/** @param {LiveState} state */
function lobbySection(state) {
  const waiting = state.lobby || [];
  return section("Lobby", waiting.length ? h("ul", {}, ...waiting.map((p) => h("li", {},
    `${p.name || "Someone"} is waiting`, actions(button(`Let ${p.name || "them"} in`,
      `admit:${p.participant_id}`, send("control", "admit", { participant_id: p.participant_id }), "")))))
    : h("p", { className: "status" }, "Nobody is waiting."),
  actions(waiting.length > 1 && button("Let everyone in", "admit-all", send("control", "admit_all")),
    state.locked ? button("Open the room to late arrivals", "unlock", send("control", "unlock"))
      : button("Close the room to late arrivals", "lock", send("control", "lock"))),
  h("p", { className: "status" }, state.locked ? "The room is closed to late arrivals." : "Late arrivals can ask to come in."));
}

/** @param {LiveState} state */
function peopleSection(state) {
  const inControl = state.controller === room.me;
  const people = room.present();
  return section("People and speaking time", h("ul", {}, ...people.map((id) => {
    const role = room.roleOf(id);
    const leads = role === "facilitator" || role === "co-facilitator";
    const muted = state.muted.includes(id);
    const name = room.nameOf(id);
    return h("li", { "data-talk": id },
      h("div", { className: "who" }, h("span", {}, id === room.me ? `${name} (you)` : name),
        h("span", { className: "status" }, [leads ? role : "", muted ? "muted for everyone" : ""].filter(Boolean).join(", "))),
      h("div", { className: "talk", "aria-hidden": "true" }, h("div")),
      h("span", { className: "spoken status" }),
      inControl && id !== room.me ? actions(
        muted ? button(`Unmute ${name}`, `unmute:${id}`, send("control", "unmute", { participant_id: id }))
          : button(`Mute ${name}`, `mute:${id}`, send("control", "mute", { participant_id: id })),
        leads ? button(`Hand the controls to ${name}`, `hand-over:${id}`, send("control", "hand_over", { participant_id: id }))
          : button(`Remove ${name}`, `remove:${id}`, () => {
            if (confirm(`Remove ${name} from this session? They cannot come back with the same invite.`)) {
              room.act("control", { action: "remove", participant_id: id });
            }
          }, "danger")) : null);
  })), inControl ? actions(button("Mute everyone", "mute-all", send("control", "mute_all"))) : null);
}
