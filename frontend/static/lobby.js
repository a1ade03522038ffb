// @ts-check
/**
 * The lobby, `/lobby?group=ID` (a doctor, by this device's membership) or `/lobby?session=ID`
 * (also a signed-in facilitator). First the ground rules are acknowledged; then the page waits
 * until the session is open, told by the session's event stream (`GET /sessions/{id}/events`,
 * server-sent events: no polling). Once it is, a member asks to come in (`POST
 * /sessions/{id}/join`; 202 while waiting) and asks again the moment the stream says they have
 * been let in, then goes to the room; a facilitator goes straight in. The ground rules
 * are acknowledged for each session (a tab kept for weeks asks again for the next one).
 *
 * A session that has ended (after "Leave", or a lobby opened late) thanks the doctor and leaves
 * them on their group's page, `/lobby?group=ID`, with its next session; never an error.
 */

import { ApiError, post } from "./api.js";
import { load } from "./context.js";
import { waiting } from "./format.js";
import { ready, t } from "./i18n.js";
import { mountLanguages } from "./languages.js";
import { showOpening, showSchedule } from "./lobby-schedule.js";
import { ack, grants } from "./store.js";
import { $, $as, message, param, say } from "./ui.js";


const RETRY_MS = 5000;
const NO_SESSION_MS = 60000;
const LET_IN = "lobby.letIn";
/**
 * Asking to come in: not yet, asked (no answer yet), waiting to be let in, stopped by a refusal.
 * @type {"idle" | "asking" | "waiting" | "stopped" | "left"}
 */
let admission = param("left") ? "left" : "idle";  // after "Leave", do not walk straight back in

/** @param {import("./context.js").Context} ctx */
function showWaiting(ctx) {
  $("rules-form").hidden = true;
  $("waiting").hidden = false;
  $("who").textContent = t("lobby.who", { name: ctx.name });
  $("rules-again").textContent = ctx.group.ground_rules;
  $as("check", HTMLAnchorElement).href = `/check?group=${encodeURIComponent(ctx.group.id)}`;
  render(ctx);
}

/** Which session the ground rules were acknowledged for in this tab: each session asks again
 * (a phone keeps a tab open for weeks). The version itself is `ack` (store.js), as the room
 * checks it. @param {string} groupId */
const ackKey = (groupId) => `rounds.ack.${groupId}.session`;

/**
 * The current ground rules were acknowledged for this context's session, in this tab.
 * @param {import("./context.js").Context} ctx
 */
function acknowledged(ctx) {
  let session = null;
  try { session = sessionStorage.getItem(ackKey(ctx.group.id)); } catch { /* none kept */ }
  return ack.get(ctx.group.id) === ctx.group.ground_rules_version
    && session === (ctx.session?.id || "");
}

/** @param {import("./context.js").Context} ctx */
function acknowledge(ctx) {
  ack.set(ctx.group.id, ctx.group.ground_rules_version);
  try { sessionStorage.setItem(ackKey(ctx.group.id), ctx.session?.id || ""); } catch { /* private */ }
}

let thanked = false;

/**
 * The session has ended: thank them and stay on their group's page with its next session.
 * @param {import("./context.js").Context} ctx
 */
async function sessionEnded(ctx) {
  if (thanked) return;
  thanked = true;
  say($("problem"), "");
  say($("thanks"), t("lobby.thanks"), "ok");
  $("rules-form").hidden = true;
  void showClose(ctx);
  const link = $as("group-link", HTMLAnchorElement);
  if (ctx.facilitating) {
    link.href = `/group?id=${encodeURIComponent(ctx.group.id)}`;
    link.textContent = t("lobby.groupPage");
    $("group-line").hidden = false;
    $("waiting").hidden = true;
    return;
  }
  history.replaceState(null, "", `/lobby?group=${encodeURIComponent(ctx.group.id)}`);
  const group = await load(ctx.group.id, "").catch(() => null);
  if (!group) {  // no longer in the group: My groups is below
    $("waiting").hidden = true;
    return;
  }
  admission = "idle";
  showWaiting(group);  // the rules are asked before the next session's room, not now
}

/** Where to get support and (members) the check-out pulse, under the thanks. @param {import("./context.js").Context} ctx */
async function showClose(ctx) {
  const { pulse, signposting } = await import("./checkout.js");
  const card = await signposting(ctx.group.id).catch(() => null);
  const ask = ctx.facilitating || !ctx.session ? null : pulse(ctx.session.id);
  $("thanks").after(...[card, ask].filter((x) => x !== null));
}

/** @param {import("./context.js").Context} ctx */
function render(ctx) {
  if (ctx.session?.status === "ended" && param("session")) return void sessionEnded(ctx);
  const { text, canEnter } = waiting(ctx.session, { timeZone: ctx.group.timezone,
    facilitating: ctx.facilitating });
  const asking = canEnter && !ctx.facilitating && ctx.session;
  const state = $("state");
  const shown = !asking ? text : t(admission === "waiting" ? LET_IN
    : admission === "stopped" ? "lobby.stopped" : admission === "left" ? "lobby.left" : "lobby.asking");
  if (state.textContent !== shown) state.textContent = shown;
  showOpening(ctx);
  const enter = $as("enter", HTMLAnchorElement);
  $("enter-line").hidden = !canEnter || !ctx.session;
  $("session").textContent = ctx.session?.title || "";
  if (ctx.session) enter.href = `/room?session=${encodeURIComponent(ctx.session.id)}`;
  $("updates").hidden = canEnter || ctx.session?.status === "ended";
  if (asking && ctx.session) {
    $("enter-line").hidden = admission !== "left";
    enter.textContent = t(admission === "left" ? "lobby.goBack" : "lobby.enter");
    enter.href = `/lobby?session=${encodeURIComponent(ctx.session.id)}`;
    $("updates").hidden = admission === "left";
    if (admission === "idle" && !acknowledged(ctx)) {  // a new session: its rules first
      $("waiting").hidden = true;
      return askForRules(ctx);
    }
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
    /** @type {import("./types.js").JoinGrant | {status: "waiting", detail: string}} */
    const answer = await post(`/sessions/${encodeURIComponent(sessionId)}/join`,
      { ground_rules_version: ctx.group.ground_rules_version });
    if ("token" in answer) {
      grants.set(sessionId, answer);
      $("state").textContent = t("lobby.beingLetIn");
      location.assign(`/room?session=${encodeURIComponent(sessionId)}`);
      return;
    }
    say($("problem"), "");
    admission = "waiting";  // the stream's `admitted` asks again
    if ($("state").textContent !== t(LET_IN)) $("state").textContent = t(LET_IN);
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
      setTimeout(() => void askToEnter(ctx, sessionId), RETRY_MS);  // the network: try again
    }
  }
}

/** @type {import("./context.js").Context | null} the newest context the rules form is for */
let asked = null;

/** @param {import("./context.js").Context} ctx */
function askForRules(ctx) {
  const form = $as("rules-form", HTMLFormElement);
  const agree = $as("agree", HTMLInputElement);
  $("rules").textContent = ctx.group.ground_rules;
  form.hidden = false;
  $as("agree-submit", HTMLButtonElement).disabled = false;
  const first = !asked;
  asked = ctx;
  if (!first) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!agree.checked) {
      agree.setAttribute("aria-invalid", "true");
      say($("agree-error"), t("lobby.agreeMissing"), "error");
      agree.focus();
      return;
    }
    const chosen = asked || ctx;
    acknowledge(chosen);
    showWaiting(chosen);
    $("title").focus();
  });
}

async function main() {
  await ready("common", "pages");
  mountLanguages();
  let ctx;
  try {
    ctx = await load(param("group"), param("session"));
  } catch (error) {
    return say($("problem"), message(error), "error");
  }
  if (!ctx) {
    $("title").textContent = t("lobby.notInGroup");
    return say($("problem"), t("lobby.notInGroupText"), "error");
  }
  $("title").textContent = ctx.group.name;
  $("title").tabIndex = -1;
  document.title = t("lobby.pageOf", { group: ctx.group.name });
  if (ctx.session?.status === "ended" && param("session")) await sessionEnded(ctx);
  else if (acknowledged(ctx)) showWaiting(ctx);
  else askForRules(ctx);

  void showSchedule(ctx.group.id);
  let current = ctx;
  /** @type {EventSource | null} */
  let stream = null;
  const refresh = async () => {
    const next = await load(param("group"), param("session")).catch(() => null);
    if (!next) return;
    if (next.group.ground_rules_version !== current.group.ground_rules_version) location.reload();
    current = next;
    if (!$("waiting").hidden) render(current);
    else if (!$("rules-form").hidden) asked = current;
    follow();
  };
  /** Follow the current session's stream (a new one when the next session comes). */
  function follow() {
    const id = current.session?.id;
    if (stream && stream.url.endsWith(`/sessions/${id}/events`)) return;
    stream?.close();
    stream = id ? new EventSource(`/api/v1/sessions/${encodeURIComponent(id)}/events`) : null;
    stream?.addEventListener("session", () => void refresh());  // sent first on each connection
    for (const kind of ["admitted", "refused"]) {
      stream?.addEventListener(kind, () => {
        if (admission === "waiting" && current.session) void askToEnter(current, current.session.id);
      });
    }
  }
  follow();
  setInterval(() => { if (!stream && !document.hidden) void refresh(); }, NO_SESSION_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) void refresh(); });
}

main();
