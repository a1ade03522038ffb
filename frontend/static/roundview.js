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

import { t } from "./i18n.js";
import { $ } from "./ui.js";

/** @typedef {import("./events.js").LiveState} LiveState @typedef {import("./events.js").ClockView} ClockView
 * @typedef {import("./events.js").RoundView} RoundView @typedef {import("./room-types.js").Viewer} Viewer */

/** "4:05" for 245 seconds; "-0:30" past zero. @param {number} seconds */
export function clock(seconds) {
  const sign = seconds < 0 ? "-" : "";
  const s = Math.abs(Math.round(seconds));
  return `${sign}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * The words for the clock milestone crossed between two readings of the seconds left, or "":
 * `clock.at60`, `clock.at30`, `clock.at0` (to the speaker: `clock.mine60`, …).
 * Overrun is a gentle word, never a cut-off.
 * @param {number} before @param {number} after @param {boolean} [mine] said to the speaker
 */
export function milestone(before, after, mine = false) {
  for (const at of [60, 30, 0]) {
    if (before > at && after <= at) return t(`clock.${mine && at ? "mine" : "at"}${at}`);
  }
  return "";
}

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
const who = (id) => (id === viewer.me ? t("round.you") : viewer.nameOf(id));

/**
 * Show the state the server sent; returns what the grid should stage.
 * @param {LiveState} state @param {Viewer} [as]
 * @returns {import("./room-types.js").Stage}
 */
export function showState(state, as) {
  if (as) viewer = as;
  live = state;
  const phase = state.phase;
  // Without a phase: no plan yet, or (with one) its phases have all run.
  const done = t("round.planDone");
  const title = !phase ? (state.template ? done : t("round.waitingToStart"))
    : phase.status === "pending" ? t("round.phasePending", { phase: phase.title })
    : phase.status === "paused" ? t("round.phasePaused", { phase: phase.title })
    : phase.status === "ended" ? done : phase.title;
  $("phase").textContent = title;
  const prompt = $("prompt");
  prompt.textContent = phase && phase.status !== "ended" ? phase.prompt : "";
  prompt.hidden = !prompt.textContent;
  if (phase && phase.status !== "pending" && title !== lastPhase) announce(t("round.now", { phase: title }));
  lastPhase = title;
  showRound(state.round);
  showFloor(state);
  const hand = $("hand");
  const up = state.hands.raised.includes(viewer.me);
  hand.textContent = t(up ? "room.lowerHand" : "room.raiseHand");
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
    line = t("round.pending");
  } else if (round.status === "ended") {
    line = t("round.ended");
  } else if (round.status === "between") {
    line = t(round.up_next ? "round.betweenNext" : "round.betweenLast");
  } else if (current && !round.speaker) {
    line = t("round.dropped", { name: viewer.nameOf(current) });
    note = t("round.droppedNote");
  } else {
    line = current === viewer.me ? t("round.yourTurn") : t("round.turnOf", { name });
    const turn = round.turns.find((t) => t.participant_id === current);
    if (turn?.passes) note = t("round.afterPass");
  }
  $("speaker").textContent = line;
  $("turn-note").textContent = note;
  const next = round.up_next;
  $("next-up").textContent = round.status === "ended" ? ""
    : next ? t(round.status === "pending" ? "round.first" : "round.next", { name: who(next) })
    : round.status === "running" ? t("round.lastTurn") : "";
  const speaker = round.status === "running" ? round.speaker : null;
  if (speaker !== lastSpeaker) {
    lastLeft = NaN;  // the first reading of a new turn announces nothing (a 1-minute turn)
    if (speaker) announce(speaker === viewer.me ? t("round.sayYourTurn")
      : t("round.sayTurnOf", { name: viewer.nameOf(speaker) }));
  }
  lastSpeaker = speaker;
  if (round.status !== lastRound && round.status === "ended") announce(t("round.sayEnded"));
  lastRound = round.status;
}

/** Say whose microphone is heard, when it is not one's own. @param {LiveState} state */
function showFloor(state) {
  const el = $("floor-note");
  const running = state.phase?.status === "running" || state.phase?.status === "paused";
  let text = "";
  if (state.muted.includes(viewer.me)) text = t("floor.mutedForAll");
  else if (running && !state.audible.includes(viewer.me)) {
    const speaker = state.round?.speaker || state.hands.floor;
    text = state.phase?.presenter === viewer.me && state.phase.layout === "presenter_aside"
      ? t("floor.pushBack")
      : speaker ? t("floor.othersHave", { name: viewer.nameOf(speaker) })
      : t("floor.facilitatorsOnly");
  } else if (state.hands.floor && state.hands.floor !== state.round?.speaker) {
    text = state.hands.floor === viewer.me ? t("floor.yours")
      : t("floor.theirs", { name: viewer.nameOf(state.hands.floor) });
  }
  el.textContent = text;
  el.hidden = !text;
}

function tick() {
  if (!live) return;
  const phase = live.phase;
  const phaseLeft = phase && phase.status !== "ended" ? secondsLeft(phase) : null;
  $("phase-clock").textContent = phaseLeft === null ? ""
    : t(phaseLeft >= 0 ? "clock.phaseLeft" : "clock.phaseOver", { clock: clock(Math.abs(phaseLeft)) });
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
  const text = dropped ? t("clock.waiting", { clock: clock(Math.max(0, left)) })
    : t(round.paused ? "clock.paused" : left < 0 ? "clock.over" : "clock.left",
      { clock: clock(round.paused ? left : Math.abs(left)) });
  if (el.textContent !== text) el.textContent = text;
  const total = round.allotted || round.turn_length;
  fill.style.width = `${Math.max(0, Math.min(100, (left / total) * 100))}%`;
  fill.dataset.state = state;
  if (!dropped && !round.paused) {
    const mine = round.speaker === viewer.me;
    const words = Number.isNaN(lastLeft) ? "" : milestone(lastLeft, left, mine);
    if (words) announce(mine ? words : t("clock.theirs", { name: viewer.nameOf(round.speaker || ""), words }));
    lastLeft = left;
  }
}
