// @ts-check
/**
 * The structure of the session, shown the same to everyone: the phase, its prompt, whose turn
 * it is and their clock. Everything is text as well as colour; the clock's milestones
 * (1 minute left, 30 seconds left, time is up) are announced in a polite live region.
 *
 * The round-engine wiring calls `showPhase` and `showTurn` with the state it receives; the
 * clock then counts down locally from `endsAt` (a wall-clock time in milliseconds).
 */

import { clock, milestone } from "./format.js";
import { $ } from "./ui.js";

/** @typedef {{name: string, prompt?: string}} PhaseView */
/**
 * @typedef {{speaker: string, you?: boolean, seconds: number, endsAt: number,
 *   paused?: {reason: string, remaining: number} | null, next?: string}} TurnView
 */

/** @type {TurnView | null} */
let turn = null;
let lastRemaining = Infinity;
/** @type {ReturnType<typeof setInterval> | undefined} */
let timer;

/** Say something to screen-reader users without moving focus. @param {string} text */
export function announce(text) {
  const region = $("announce");
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
}

/** The current phase, or null before the facilitator starts. @param {PhaseView | null} phase */
export function showPhase(phase) {
  $("phase").textContent = phase ? phase.name : "Waiting for the facilitator to start";
  const prompt = $("prompt");
  prompt.textContent = phase?.prompt || "";
  prompt.hidden = !phase?.prompt;
  if (phase) announce(`Now: ${phase.name}`);
}

/** The current turn, or null when nobody has the floor. @param {TurnView | null} view */
export function showTurn(view) {
  const changed = view?.speaker !== turn?.speaker;
  turn = view;
  $("turn").hidden = !view;
  clearInterval(timer);
  if (!view) return;
  $("speaker").textContent = view.you ? "Your turn" : `${view.speaker}'s turn`;
  $("next-up").textContent = view.next ? `Next: ${view.next}` : "";
  lastRemaining = remaining(view);
  if (changed) announce(view.you ? "It is your turn." : `It is ${view.speaker}'s turn.`);
  tick();
  if (!view.paused) timer = setInterval(tick, 1000);
}

/** @param {TurnView} view */
function remaining(view) {
  return view.paused ? view.paused.remaining : (view.endsAt - Date.now()) / 1000;
}

function tick() {
  if (!turn) return;
  const left = remaining(turn);
  const over = left < 0;
  const el = $("clock");
  el.dataset.state = turn.paused ? "paused" : over ? "over" : "running";
  el.textContent = turn.paused ? `Paused, ${clock(left)} left`
    : over ? `${clock(-left)} over time` : `${clock(left)} left`;
  $("turn-note").textContent = turn.paused ? `(${turn.paused.reason})` : "";
  const fill = $("bar-fill");
  fill.style.width = `${Math.max(0, Math.min(100, (left / turn.seconds) * 100))}%`;
  fill.dataset.state = el.dataset.state;
  const words = milestone(lastRemaining, left);
  if (words) announce(!turn.you ? `${turn.speaker}: ${words}` : left > 0 ? `You have ${words}` : words);
  lastRemaining = left;
}
