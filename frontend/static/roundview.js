// @ts-check
/**
 * The structure of the session, shown the same to everyone: the phase and its clock, the
 * prompt, whose turn it is, their clock and who is next, and for the speaker "I've finished"
 * and "Pass". Everything is text as well as colour. Milestones (1 minute left, 30 seconds
 * left, time is up) and changes of speaker are announced in a polite live region, never every
 * second.
 *
 * `showState` takes the server's `state` event (app/facilitation/views.py `view()`). Deadlines are
 * server Unix seconds: the seconds left are `deadline - serverNow()`, where `serverNow` applies
 * the offset from the `time` handshake, so every page shows the same time. The clock element
 * keeps the value it shows in `data-remaining` (seconds) with `data-at` (local ms) for checks.
 */

import { clock, milestone } from "./clock.js";
import { $ } from "./ui.js";

/**
 * @typedef {import("./events.js").LiveState} LiveState
 * @typedef {import("./events.js").ClockView} ClockView
 * @typedef {import("./events.js").RoundView} RoundView
 * @typedef {{me: string, nameOf: (id: string) => string, serverNow: () => number}} Viewer
 * @typedef {{layout: string, floor: string | null, aside: string | null, raised: string[],
 *   muted: string[]}} Stage
 */

/** @type {LiveState | null} */
let live = null;
/** @type {Viewer} */
let viewer = { me: "", nameOf: (id) => id, serverNow: () => Date.now() / 1000 };
let lastLeft = NaN;
let lastSpeaker = /** @type {string | null} */ (null);
let lastPhase = "";
let lastRound = "";
/** @type {ReturnType<typeof setInterval> | undefined} */
let timer;

/** Say something to screen-reader users without moving focus. @param {string} text */
export function announce(text) {
  const region = $("announce");
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
}

/** Seconds left on a clock (negative: over time), or null without one. @param {ClockView} c */
export function secondsLeft(c) {
  if (c.deadline === null) return null;
  return c.paused ? (c.remaining ?? 0) - c.overrun : c.deadline - viewer.serverNow();
}

/** The name to show for a participant, "you" for oneself. @param {string} id */
const who = (id) => (id === viewer.me ? "you" : viewer.nameOf(id));

/**
 * Show the state the server sent; returns what the grid should stage.
 * @param {LiveState} state @param {Viewer} [as]
 * @returns {Stage}
 */
export function showState(state, as) {
  if (as) viewer = as;
  live = state;
  const phase = state.phase;
  // Without a phase: no plan yet, or (with one) its phases have all run.
  const done = "That was the last part of the plan";
  const title = !phase ? (state.template ? done : "Waiting for the facilitator to start")
    : phase.status === "pending" ? `${phase.title}: about to start`
    : phase.status === "paused" ? `${phase.title} (paused)`
    : phase.status === "ended" ? done : phase.title;
  $("phase").textContent = title;
  const prompt = $("prompt");
  prompt.textContent = phase && phase.status !== "ended" ? phase.prompt : "";
  prompt.hidden = !prompt.textContent;
  if (phase && phase.status !== "pending" && title !== lastPhase) announce(`Now: ${title}`);
  lastPhase = title;
  showRound(state.round);
  showFloor(state);
  const hand = $("hand");
  const up = state.hands.raised.includes(viewer.me);
  hand.textContent = up ? "Lower hand" : "Raise hand";
  hand.setAttribute("aria-pressed", String(up));
  tick();
  clearInterval(timer);
  timer = setInterval(tick, 250);
  const speaker = state.round?.status === "running" ? state.round.speaker
    : phase?.kind === "presentation" && phase.status !== "ended" ? phase.presenter : null;
  return { layout: phase?.layout || "grid", floor: speaker || state.hands.floor,
    aside: phase?.layout === "presenter_aside" ? phase.presenter : null,
    raised: state.hands.raised, muted: state.muted };
}

/** @param {RoundView | null} round */
function showRound(round) {
  $("turn").hidden = !round;
  const mine = Boolean(round && round.status === "running" && round.speaker === viewer.me);
  $("my-turn").hidden = !mine;
  if (!round) { lastSpeaker = null; return; }
  const current = round.current;
  const name = current ? who(current) : "";
  let line = "";
  let note = "";
  if (round.status === "pending") {
    line = "The round has not started yet.";
  } else if (round.status === "ended") {
    line = "The round has ended. Thank you, everyone.";
  } else if (round.status === "between") {
    line = round.up_next ? "Thank you. The facilitator will invite the next person."
      : "Thank you. That was the last turn of the round.";
  } else if (current && !round.speaker) {
    line = `${viewer.nameOf(current)}'s connection dropped.`;
    note = "The group waits for them (up to 2 minutes).";
  } else {
    line = current === viewer.me ? "Your turn" : `${name}'s turn`;
    const turn = round.turns.find((t) => t.participant_id === current);
    if (turn?.passes) note = "(offered again after a pass)";
  }
  $("speaker").textContent = line;
  $("turn-note").textContent = note;
  const next = round.up_next;
  $("next-up").textContent = round.status === "ended" ? ""
    : next ? `${round.status === "pending" ? "First" : "Next"}: ${who(next)}`
    : round.status === "running" ? "This is the last turn of the round." : "";
  const speaker = round.status === "running" ? round.speaker : null;
  if (speaker !== lastSpeaker) {
    lastLeft = NaN;  // the first reading of a new turn announces nothing (a 1-minute turn)
    if (speaker) announce(speaker === viewer.me
      ? "It is your turn. Press I've finished when you are done, or Pass."
      : `It is ${viewer.nameOf(speaker)}'s turn.`);
  }
  lastSpeaker = speaker;
  if (round.status !== lastRound && round.status === "ended") announce("The round has ended.");
  lastRound = round.status;
}

/** Say whose microphone is heard, when it is not one's own. @param {LiveState} state */
function showFloor(state) {
  const el = $("floor-note");
  const running = state.phase?.status === "running" || state.phase?.status === "paused";
  let text = "";
  if (state.muted.includes(viewer.me)) text = "The facilitator has muted your microphone for everyone.";
  else if (running && !state.audible.includes(viewer.me)) {
    const speaker = state.round?.speaker || state.hands.floor;
    text = state.phase?.presenter === viewer.me && state.phase.layout === "presenter_aside"
      ? "Push-back: you sit back and listen. The others do not hear your microphone."
      : speaker ? `${viewer.nameOf(speaker)} has the floor: the others do not hear your microphone now.`
      : "Only the facilitators are heard now.";
  } else if (state.hands.floor && state.hands.floor !== state.round?.speaker) {
    text = state.hands.floor === viewer.me ? "You have the floor." : `${viewer.nameOf(state.hands.floor)} has the floor.`;
  }
  el.textContent = text;
  el.hidden = !text;
}

function tick() {
  if (!live) return;
  const phase = live.phase;
  const phaseLeft = phase && phase.status !== "ended" ? secondsLeft(phase) : null;
  $("phase-clock").textContent = phaseLeft === null ? ""
    : phaseLeft >= 0 ? `· ${clock(phaseLeft)} left in this phase` : `· ${clock(-phaseLeft)} over`;
  const round = live.round;
  const el = $("clock");
  const fill = $("bar-fill");
  const running = round && round.status === "running" && round.current;
  const dropped = running && !round.speaker;
  const left = running ? (dropped ? (round.grace_deadline ?? 0) - viewer.serverNow() : secondsLeft(round)) : null;
  el.hidden = left === null;
  fill.parentElement?.toggleAttribute("hidden", left === null);
  if (left === null || !round) { delete el.dataset.remaining; return; }
  const state = dropped ? "paused" : round.paused ? "paused" : left < 0 ? "over" : "running";
  el.dataset.state = state;
  el.dataset.remaining = left.toFixed(3);
  el.dataset.at = String(Date.now());
  el.dataset.speaker = round.speaker || "";
  const text = dropped ? `Waiting, ${clock(Math.max(0, left))}`
    : round.paused ? `Paused, ${clock(left)} left`
    : left < 0 ? `${clock(-left)} over time` : `${clock(left)} left`;
  if (el.textContent !== text) el.textContent = text;
  const total = round.allotted || round.turn_length;
  fill.style.width = `${Math.max(0, Math.min(100, (left / total) * 100))}%`;
  fill.dataset.state = state;
  if (!dropped && !round.paused) {
    const words = Number.isNaN(lastLeft) ? "" : milestone(lastLeft, left);
    const mine = round.speaker === viewer.me;
    if (words) announce(!mine ? `${viewer.nameOf(round.speaker || "")}: ${words}` : left > 0 ? `You have ${words}` : words);
    lastLeft = left;
  }
}
