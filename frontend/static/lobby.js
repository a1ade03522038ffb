// @ts-check
/**
 * The lobby, `/lobby?group=ID` (a doctor, by this device's membership) or `/lobby?session=ID`
 * (also a signed-in facilitator). First the ground rules are acknowledged, then the page waits,
 * checking every 15 seconds, until the session is open.
 */

import { load } from "./context.js";
import { waiting } from "./format.js";
import { ack } from "./store.js";
import { $, $as, message, param, say } from "./ui.js";

const POLL_MS = 15000;

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
  const state = $("state");
  if (state.textContent !== text) state.textContent = text;
  const enter = $as("enter", HTMLAnchorElement);
  enter.hidden = !canEnter || !ctx.session;
  if (ctx.session) enter.href = `/room?session=${encodeURIComponent(ctx.session.id)}`;
  $("updates").hidden = canEnter || ctx.session?.status === "ended";
}

/** @param {import("./context.js").Context} ctx */
function askForRules(ctx) {
  const form = $as("rules-form", HTMLFormElement);
  const agree = $as("agree", HTMLInputElement);
  $("rules").textContent = ctx.group.ground_rules;
  form.hidden = false;
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
