// @ts-check
/**
 * The room page, `/room?session=ID`: usable before any media flows.
 *
 * 1. Find the group and session (this device's membership or the facilitator's account); if the
 *    current ground rules have not been acknowledged in this tab, go to the lobby to do it.
 * 2. Show yourself: the camera and microphone chosen in the device check (or audio only).
 * 3. Take the join grant the lobby got when the facilitator let us in, or ask for one
 *    (`POST /sessions/{id}/join` with the acknowledged version); not let in yet → the lobby.
 * 4. Hand the grant and the local stream to the media and round wiring: the HOOKs below.
 *
 * The grid (tiles.js), the round display (roundview.js) and the connection banner
 * (connstatus.js) are what that wiring drives.
 */

import { ApiError, post } from "./api.js";
import { setConnection, watchNetwork } from "./connstatus.js";
import { load } from "./context.js";
import { MediaProblem, openMedia, stopMedia } from "./media.js";
import { showPhase } from "./roundview.js";
import { ack, devices, grants } from "./store.js";
import { mountGrid, setHideVideo, setTile } from "./tiles.js";
import { $, $as, message, param, say } from "./ui.js";

const SELF = "self";

/** @type {MediaStream | null} */
let local = null;
let name = "You";
let muted = false;
let cameraOff = false;
let audioOnly = Boolean(devices.get().audioOnly);

/**
 * HOOK (media wiring, not built yet): connect to the SFU at `grant.signalling_path` over a
 * WebSocket with `grant.token`, using `grant.ice_servers`; publish `stream`; call `setTile` for
 * each participant and `setConnection` as the link changes. The no-DOM protocol module is
 * expected at rtc/testpage/protocol.js and would be served from /static/ next to this file.
 * @param {import("./api.js").JoinGrant} _grant @param {MediaStream | null} _stream
 */
async function connectMedia(_grant, _stream) {
  // TODO(room wiring): const room = await connect(grant, stream); room.on(...) → setTile/removeTile.
  setConnection("connecting");
}

/**
 * HOOK (round-engine wiring, not built yet): subscribe to the session's phases and turns and
 * call `showPhase` / `showTurn` (roundview.js) with what the engine says.
 * @param {import("./api.js").JoinGrant} _grant
 */
function followRounds(_grant) {
  // TODO(round wiring): engine events → showPhase({name, prompt}), showTurn({speaker, ...}).
  showPhase(null);
}

/** HOOK: tell the SFU our outgoing tracks changed (mute, camera, audio only). */
function localTracksChanged() {
  // TODO(room wiring): sender.replaceTrack(...) and a mute/camera message to the others.
}

function showSelf() {
  const hasVideo = Boolean(local?.getVideoTracks().length);
  setTile({ id: SELF, name, you: true, stream: local, muted, cameraOff: cameraOff || !hasVideo });
  $("mute").textContent = muted ? "Unmute" : "Mute";
  $("mute").dataset.off = String(muted);
  $("camera").textContent = cameraOff || !hasVideo ? "Start camera" : "Stop camera";
  $("camera").dataset.off = String(cameraOff || !hasVideo);
  $as("camera", HTMLButtonElement).disabled = audioOnly || !local;
  $as("mute", HTMLButtonElement).disabled = !local?.getAudioTracks().length;
  $("audio-only").setAttribute("aria-pressed", String(audioOnly));
}

async function startLocal() {
  try {
    const opened = await openMedia({ ...devices.get(), audioOnly });
    local = opened.stream;
    if (opened.cameraProblem) cameraOff = true;
  } catch (error) {
    local = null;
    const kind = error instanceof MediaProblem ? error.kind : "unknown";
    say($("problem"), kind === "denied"
      ? "Your camera and microphone are blocked, so you can listen but not speak. Allow them in "
        + "the browser (the symbol next to the web address), then reload this page."
      : "No microphone could be started, so you can listen but not speak. You can try the "
        + "device check from the lobby.", "error");
  }
  showSelf();
}

/** @param {boolean} on */
async function setCamera(on) {
  if (!local) return;
  for (const track of local.getVideoTracks()) { track.stop(); local.removeTrack(track); }
  if (on) {
    try {
      const { stream } = await openMedia({ ...devices.get(), audioOnly: false });
      for (const track of stream.getAudioTracks()) track.stop();
      for (const track of stream.getVideoTracks()) local.addTrack(track);
    } catch {
      say($("problem"), "The camera could not be started. You are still in the room with audio.", "error");
    }
  }
  cameraOff = !on;
  showSelf();
  localTracksChanged();
}

function wireControls() {
  $("mute").addEventListener("click", () => {
    muted = !muted;
    for (const track of local?.getAudioTracks() || []) track.enabled = !muted;
    showSelf();
    localTracksChanged();
  });
  $("camera").addEventListener("click", () => void setCamera(cameraOff));
  $("audio-only").addEventListener("click", async () => {
    audioOnly = !audioOnly;
    devices.set({ audioOnly });
    setHideVideo(audioOnly);
    await setCamera(!audioOnly);
  });
  $("leave").addEventListener("click", () => {
    // TODO(room wiring): close the signalling socket and peer connection first.
    stopMedia(local);
    location.assign(`/lobby?session=${encodeURIComponent(param("session"))}&left=1`);
  });
  addEventListener("pagehide", () => stopMedia(local));
}

async function main() {
  mountGrid($("grid"));
  watchNetwork();
  wireControls();
  showPhase(null);
  setHideVideo(audioOnly);
  const sessionId = param("session");
  const ctx = sessionId ? await load("", sessionId).catch(() => null) : null;
  if (!ctx) {
    $("title").textContent = "Rounds";
    setConnection("closed");
    return say($("problem"), "This device or account is not in this session's group. Open your "
      + "invite link, or go to My groups.", "error");
  }
  name = ctx.name;
  const title = ctx.session?.title ? `${ctx.group.name}: ${ctx.session.title}` : ctx.group.name;
  $("title").textContent = title;
  document.title = `${title} · Room · Rounds`;
  const version = ack.get(ctx.group.id);
  if (version !== ctx.group.ground_rules_version) {
    location.replace(`/lobby?session=${encodeURIComponent(sessionId)}`);
    return;
  }
  await startLocal();
  try {
    /** @type {import("./api.js").JoinGrant | {status: "waiting"}} */
    const grant = grants.take(sessionId) || await post(
      `/sessions/${encodeURIComponent(sessionId)}/join`, { ground_rules_version: version });
    if (!("token" in grant)) {  // not let in yet: wait in the lobby
      stopMedia(local);
      location.replace(`/lobby?session=${encodeURIComponent(sessionId)}`);
      return;
    }
    await connectMedia(grant, local);
    followRounds(grant);
  } catch (error) {
    if (error instanceof ApiError && error.code === "ground_rules_changed") {
      location.replace(`/lobby?session=${encodeURIComponent(sessionId)}`);
      return;
    }
    setConnection("closed");
    const notOpen = error instanceof ApiError && error.code === "session_not_open";
    say($("problem"), notOpen ? "The room is not open yet. Wait in the lobby: it will tell you "
      + "when you can come in." : message(error), "error");
  }
}

main();
