// @ts-check
/**
 * The facilitator's panel in the room (loaded only for facilitators): the session's plan
 * (composed from the group's templates, changed as it runs), its phases, the round, hands,
 * lobby, mutes, removal, controls, speaking time, ending the session (also when leaving).
 * Actions are `app` messages (app/facilitation/actions.py) except the first plan, saving it
 * and ending (REST). Redrawn from each `state`; focus is kept by `data-key`. Speaking-time
 * figures (`talk_time`) update the bars in place and are never stored.
 */

import { get, patch, post, put } from "./api.js";
import { clock } from "./roundview.js";
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
/**
 * @typedef {{id: string, name: string, description: string, duration: number, default?: boolean,
 *   phases: {title: string, kind: string, duration: number}[]}} Template
 */
/** The group's templates (loaded once; [] while loading). @type {Template[] | null} */
let templates = null;
/** The plan proposed before the session has one: template ids in order. @type {string[]} */
let draft = [];
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
  document.head.append(h("link", { rel: "stylesheet", href: "/static/facilitate.css" }));
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

/** @param {number} seconds */
const minutes = (seconds) => `${Math.round(seconds / 60)} min`;
/** @param {string} id */
const template = (id) => (templates || []).find((t) => t.id === id);
const PRESENTER_KINDS = ["presentation", "discussion", "push_back_return"];

/** Fetch the group's templates once, and propose a plan from the session's title. */
function loadTemplates() {
  if (templates) return;
  templates = [];
  void get(`/groups/${room.groupId}/templates`).then(async (/** @type {Template[]} */ list) => {
    /** @type {{template_ids: string[]} | null} */
    const suggested = await get(`/sessions/${room.sessionId}/suggested-plan`).catch(() => null);
    templates = list;
    draft = (suggested?.template_ids || []).filter((id) => template(id));
    if (!draft.length && list.length) draft = [(list.find((t) => t.default) || list[0]).id];
    redraw();
  }).catch(() => { templates = null; });
}

const redraw = () => { if (live) showFacilitation(live); };

/** The picker of the group's templates, with their lengths. @param {string} id */
function picker(id) {
  return h("select", { id }, ...(templates || []).map((t) =>
    h("option", { value: t.id }, `${t.name} (${minutes(t.duration)})`)));
}

/** @param {LiveState} state */
function phaseSection(state) {
  loadTemplates();
  return state.template ? planSection(state) : composer();
}

/** Before the session has a plan: compose one from the group's templates. */
function composer() {
  if (!templates?.length) return section("Plan", h("p", { className: "status" }, "Loading the group's templates…"));
  const ids = draft;
  const total = ids.reduce((sum, id) => sum + (template(id)?.duration || 0), 0);
  const select = picker("add-template");
  return section("Plan for this session",
    h("p", {}, "Choose what the session is made of, in order. You can change the plan at any time."),
    h("ol", { className: "plan", "aria-label": "Proposed plan" }, ...ids.map((id, i) => {
      const t = /** @type {Template} */ (template(id));
      return h("li", {}, h("div", { className: "who" }, h("span", {}, `${i + 1}. ${t.name}`),
        h("span", { className: "status" }, `${minutes(t.duration)}: ${t.phases.map((p) => p.title).join(", ")}`)),
      actions(button(`Remove ${t.name}`, `drop:${i}`, () => { ids.splice(i, 1); redraw(); })));
    })),
    h("p", { className: "status" }, ids.length ? `About ${minutes(total)} in all.` : "Nothing chosen yet."),
    h("label", { for: "add-template" }, "Add from the group's templates"), select,
    actions(button("Add to the plan", "draft-add", () => { ids.push(select.value); redraw(); }),
      ids.length > 0 && button("Use this plan", "use-plan", async () => {
        await post(`/sessions/${room.sessionId}/facilitation`, { template_ids: ids });
      }, "")));
}

/** The plan while it runs: what has run, what is on, what is to come (changeable). @param {LiveState} state */
function planSection(state) {
  const phase = state.phase;
  const ended = !phase || phase.status === "ended";
  const upcoming = state.phases.map((_, i) => i).filter((i) => !state.phases[i].started);
  /** @param {number[]} keep @param {object[]} [more] */
  const replan = (keep, more = []) => room.act("phase", { action: "replan",
    phases: [...keep.map((at) => ({ at })), ...more] });
  /** @param {number} from @param {number} to */
  const shift = (from, to) => () => {
    const next = [...upcoming];
    next.splice(to, 0, ...next.splice(from, 1));
    replan(next);
  };
  const list = h("ol", { className: "plan", "aria-label": "The plan" }, ...state.phases.map((p, i) => {
    const now = !ended && phase.index === i;
    const where = now ? (phase.status === "pending" ? "next" : "now") : p.started ? "done" : "to come";
    const j = upcoming.indexOf(i);
    return h("li", { "data-now": String(now) }, h("div", { className: "who" }, h("span", {}, `${i + 1}. ${p.title}`),
      h("span", { className: "status" }, `${minutes(p.duration)}, ${where}`)),
    j >= 0 ? actions(j > 0 && button(`Move ${p.title} earlier`, `pup:${i}`, shift(j, j - 1)),
      j < upcoming.length - 1 && button(`Move ${p.title} later`, `pdown:${i}`, shift(j, j + 1)),
      button(`Drop ${p.title}`, `pdrop:${i}`, () => replan(upcoming.filter((k) => k !== i)))) : null);
  }));
  const select = picker("add-template");
  const add = h("div", {}, h("label", { for: "add-template" }, ended ? "Add more from the group's templates" : "Add to the plan from the group's templates"),
    select, actions(button("Add to the plan", "plan-add", () => replan(upcoming, template(select.value)?.phases || []))));
  const next = !ended ? state.phases[phase.index + 1] : undefined;
  const needsPresenter = !ended && !phase.presenter && (phase.status === "pending" ? PRESENTER_KINDS.includes(phase.kind)
    : next && next.kind === "presentation");
  const moves = ended ? h("p", {}, "That was the last phase of the plan. Add more, or end the session.")
    : phase.status === "pending" ? actions(button(`Start: ${phase.title}`, "phase-start", send("phase", "start"), ""))
    : actions(
      phase.status === "paused" ? button("Resume the phase", "phase-resume", send("phase", "resume"))
        : button("Pause the phase", "phase-pause", send("phase", "pause")),
      button("+1 min", "phase-60", send("phase", "extend", { seconds: 60 })),
      button("+5 min", "phase-300", send("phase", "extend", { seconds: 300 })),
      button(next ? `Next phase: ${next.title}` : "Finish the last phase", "phase-advance", send("phase", "advance"), ""));
  if (needsPresenter) for (const b of moves.querySelectorAll("button[data-key=phase-start], button[data-key=phase-advance]")) {
    /** @type {HTMLButtonElement} */ (b).disabled = true;
  }
  const showPresenter = !ended && (PRESENTER_KINDS.includes(phase.kind) || next?.kind === "presentation");
  return section(`Plan: ${state.template}`, list, moves,
    needsPresenter ? h("p", { className: "status" }, "Choose the presenter first.") : null,
    showPresenter ? presenter(phase.presenter) : null, add, savePlan(state), endSession());
}

/** Keep the plan as one of the group's templates, or as its default. @param {LiveState} state */
function savePlan(state) {
  const name = h("input", { id: "plan-name", type: "text", maxLength: 80, value: state.template || "", autocomplete: "off" });
  const byDefault = h("input", { id: "plan-default", type: "checkbox" });
  return h("details", { className: "save-plan" }, h("summary", {}, "Save this plan as a template"),
    h("label", { for: "plan-name" }, "Template name"), name,
    h("p", {}, byDefault, " ", h("label", { for: "plan-default" }, "Use it for this group's next sessions")),
    actions(button("Save the template", "plan-save", async () => {
      const saved = await post(`/sessions/${room.sessionId}/plan/template`, { name: name.value.trim() });
      if (byDefault.checked) await put(`/groups/${room.groupId}/default-template`, { template_id: saved.id });
      templates = null;
      say($("fac-status"), `Saved as "${saved.name}".`, "ok");
    })));
}

/** End the session for everyone, after a confirmation. */
function endSession() {
  return actions(button("End the session for everyone", "end-session", async () => {
    if (await endForEveryone()) location.assign(`/group?id=${encodeURIComponent(room.groupId)}`);
  }, "danger"));
}

/** Ask, then end the session: true if it has ended. */
async function endForEveryone() {
  if (!confirm("End the session for everyone? The room closes and everyone goes back to their group page.")) return false;
  await patch(`/sessions/${room.sessionId}`, { status: "ended" });
  return true;
}

/**
 * The facilitator leaves: end the session, hand the controls over, or leave it running.
 * @returns {Promise<boolean>} whether to leave the room now
 */
export function confirmLeave() {
  const others = room.present().filter((id) => id !== room.me);
  const holding = live?.controller === room.me;
  const cofac = others.find((id) => ["facilitator", "co-facilitator"].includes(room.roleOf(id)));
  return new Promise((resolve) => {
    /** @param {string} label @param {string} className @param {() => Promise<boolean> | boolean} run */
    const choice = (label, className, run) => {
      const b = h("button", { type: "button", className }, label);
      b.addEventListener("click", () => void busy(b, $("leave-problem"), async () => {
        const leave = await run();
        dialog.close();
        resolve(leave);
      }));
      return b;
    };
    const dialog = h("dialog", { className: "leave-dialog", "aria-labelledby": "leave-title" },
      h("h2", { id: "leave-title" }, "Leave the room?"),
      h("p", {}, others.length ? `The session is still live, with ${others.length} ${others.length === 1 ? "other person" : "other people"} in the room.`
        : "The session is still live."),
      h("p", { id: "leave-problem", role: "alert", hidden: true }),
      h("div", { className: "row-actions" },
        choice("End the session for everyone", "danger", async () => {
          await patch(`/sessions/${room.sessionId}`, { status: "ended" });
          return true;
        }),
        holding && cofac ? choice(`Hand the controls to ${room.nameOf(cofac)} and leave`, "secondary", () => {
          room.act("control", { action: "hand_over", participant_id: cofac });
          return true;
        }) : null,
        choice("Leave; the session goes on", "secondary", () => true),
        choice("Stay", "secondary", () => false)));
    dialog.addEventListener("cancel", () => resolve(false));
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  });
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
    const mine = state.facilitators_take_turns;
    buttons = [button("Start the round", "round-start", send("round", "start"), ""),
      button(mine ? "Only members take turns" : "Facilitators take turns too", "round-facilitators",
        send("round", "setup", { facilitators: !mine }))];
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
        h("span", { className: "status" }, [leads ? role : "", muted ? "muted for everyone" : "",
          state.weak_links?.includes(id) ? "weak connection: some videos paused" : ""].filter(Boolean).join(", "))),
      h("div", { className: "talk", "aria-hidden": "true" }, h("div")),
      h("span", { className: "spoken status" }),
      inControl && id !== room.me ? actions(
        muted ? button(`Allow ${name} to unmute`, `unmute:${id}`, send("control", "unmute", { participant_id: id }))
          : button(`Mute ${name}`, `mute:${id}`, send("control", "mute", { participant_id: id })),
        leads ? button(`Hand the controls to ${name}`, `hand-over:${id}`, send("control", "hand_over", { participant_id: id }))
          : button(`Remove ${name}`, `remove:${id}`, () => {
            if (confirm(`Remove ${name} from this session? They cannot come back with the same invite.`)) {
              room.act("control", { action: "remove", participant_id: id });
            }
          }, "danger")) : null);
  })), inControl ? actions(button("Mute everyone", "mute-all", send("control", "mute_all"))) : null);
}
