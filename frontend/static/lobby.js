// @ts-check
/**
 * The lobby, `/lobby?group=ID` (a doctor, by this device's membership) or `/lobby?session=ID`
 * (also a signed-in facilitator). First the ground rules are acknowledged; then the page waits,
 * checking every 15 seconds, until the session is open. Once it is, a member asks to come in
 * (`POST /sessions/{id}/join`, every 5 seconds while the answer is 202 "waiting") and goes to the
 * room as soon as the facilitator lets them in; a facilitator goes straight in.
 */

import { ApiError, post } from "./api.js";
import { load } from "./context.js";
import { waiting } from "./format.js";
import { ack, grants } from "./store.js";
import { $, $as, message, param, say } from "./ui.js";

const POLL_MS = 15000;
const ASK_MS = 5000;
const LET_IN = "Waiting for the facilitator to let you in. They can see that you are here.";
/**
 * Asking to come in: not yet, asked (no answer yet), waiting to be let in, stopped by a refusal.
 * @type {"idle" | "asking" | "waiting" | "stopped" | "left"}
 */
let admission = param("left") ? "left" : "idle";  // after "Leave", do not walk straight back in

/** @param {import("./context.js").Context} ctx */
function showWaiting(ctx) {
  $("rules-form").hidden = true;
  $("waiting").hidden = false;
  $("who").textContent = `You will appear as ${ctx.name}.`;
  $("rules-again").textContent = ctx.group.ground_rules;
  $as("check", HTMLAnchorElement).href = `/check?group=${encodeURIComponent(ctx.group.id)}`;
  render(ctx);
}

/** @param {import("./context.js").Context} ctx */
function render(ctx) {
  const { text, canEnter } = waiting(ctx.session, { timeZone: ctx.group.timezone,
    facilitating: ctx.facilitating });
  const asking = canEnter && !ctx.facilitating && ctx.session;
  const state = $("state");
  const shown = !asking ? text : admission === "waiting" ? LET_IN
    : admission === "stopped" ? "You cannot go in at the moment."
    : admission === "left" ? "You have left the room. You can go back in while the session is open."
    : "Asking to come in…";
  if (state.textContent !== shown) state.textContent = shown;
  const enter = $as("enter", HTMLAnchorElement);
  $("enter-line").hidden = !canEnter || !ctx.session;
  $("session").textContent = ctx.session?.title || "";
  if (ctx.session) enter.href = `/room?session=${encodeURIComponent(ctx.session.id)}`;
  $("updates").hidden = canEnter || ctx.session?.status === "ended";
  if (asking && ctx.session) {
    $("enter-line").hidden = admission !== "left";
    enter.textContent = admission === "left" ? "Go back in" : "Enter the room";
    enter.href = `/lobby?session=${encodeURIComponent(ctx.session.id)}`;
    $("updates").hidden = admission === "left";
    if (admission === "idle") {
      admission = "asking";
      void askToEnter(ctx, ctx.session.id);
    }
  }
}

/**
 * Ask to come into the room until let in, refused, or the session closes.
 * @param {import("./context.js").Context} ctx @param {string} sessionId
 */
async function askToEnter(ctx, sessionId) {
  try {
    /** @type {import("./api.js").JoinGrant | {status: "waiting", detail: string}} */
    const answer = await post(`/sessions/${encodeURIComponent(sessionId)}/join`,
      { ground_rules_version: ctx.group.ground_rules_version });
    if ("token" in answer) {
      grants.set(sessionId, answer);
      $("state").textContent = "You are being let in…";
      location.assign(`/room?session=${encodeURIComponent(sessionId)}`);
      return;
    }
    say($("problem"), "");
    admission = "waiting";
    if ($("state").textContent !== LET_IN) $("state").textContent = LET_IN;
    setTimeout(() => void askToEnter(ctx, sessionId), ASK_MS);
  } catch (error) {
    if (error instanceof ApiError && error.code === "ground_rules_changed") return location.reload();
    if (error instanceof ApiError && error.code === "session_not_open") {
      admission = "idle";  // the next check of the session asks again once it is open
      return;
    }
    say($("problem"), message(error), "error");
    if (error instanceof ApiError && error.status > 0 && error.status < 500) {
      admission = "stopped";  // refused (removed, or the room is closed to late arrivals)
    } else {
      setTimeout(() => void askToEnter(ctx, sessionId), ASK_MS);  // the network: try again
    }
  }
}

/** @param {import("./context.js").Context} ctx */
function askForRules(ctx) {
  const form = $as("rules-form", HTMLFormElement);
  const agree = $as("agree", HTMLInputElement);
  $("rules").textContent = ctx.group.ground_rules;
  form.hidden = false;
  $as("agree-submit", HTMLButtonElement).disabled = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!agree.checked) {
      agree.setAttribute("aria-invalid", "true");
      say($("agree-error"), "Tick the box to agree to the ground rules.", "error");
      agree.focus();
      return;
    }
    ack.set(ctx.group.id, ctx.group.ground_rules_version);
    showWaiting(ctx);
    $("title").focus();
  });
}

async function main() {
  let ctx;
  try {
    ctx = await load(param("group"), param("session"));
  } catch (error) {
    return say($("problem"), message(error), "error");
  }
  if (!ctx) {
    $("title").textContent = "This device is not in this group";
    return say($("problem"), "Open the invite link your facilitator sent you on this device, "
      + "or go to My groups.", "error");
  }
  $("title").textContent = ctx.group.name;
  $("title").tabIndex = -1;
  document.title = `${ctx.group.name} · Lobby · Rounds`;
  if (ack.get(ctx.group.id) === ctx.group.ground_rules_version) showWaiting(ctx);
  else askForRules(ctx);

  let current = ctx;
  const refresh = async () => {
    const next = await load(param("group"), param("session")).catch(() => null);
    if (!next) return;
    if (next.group.ground_rules_version !== current.group.ground_rules_version) location.reload();
    current = next;
    if (!$("waiting").hidden) render(current);
  };
  setInterval(() => { if (!document.hidden) void refresh(); }, POLL_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) void refresh(); });
}

main();
