// @ts-check
/**
 * A drop-in room, `/drop-in-room`: a visitor (the grant and ticket the drop-in page kept in
 * this tab) or a host (`?room=ID`, signed in). The same live link as a group's room
 * (roomlink.js over protocol.js) and the same tiles; no round, no plan. A host also sees who is
 * waiting and who is in, lets people in, asks someone to leave (disconnected at once, their
 * token refused from then on) and closes the room. Nothing of the visit is kept: the ticket
 * leaves this tab's storage the moment the page has read it.
 */

import { ApiError, get, post } from "./api.js";
import { setConnection, watchNetwork } from "./connstatus.js";
import { MediaProblem, openMedia, stopMedia } from "./media.js";
import { RoomLink } from "./roomlink.js";
import { devices } from "./store.js";
import { mountGrid, removeTile, setTile, tileIds } from "./tiles.js";
import { $, $as, busy, h, message, param, say } from "./ui.js";

const SELF = "self";
const VISIT = "rounds.dropin.visit";
/** The room's own words for a final close (roomlink.js speaks of sessions and facilitators). */
const FINAL = /** @type {Record<string, string>} */ ({
  4007: "The room has closed. Thank you for coming.",
  4008: "The host has asked you to leave this room.",
});

/** A visitor's link renews its grant with the visit's ticket; a host's with the room. */
class DropInLink extends RoomLink {
  /**
   * @param {() => Promise<import("./types.js").JoinGrant | {status: string}>} renew
   * @param {import("./types.js").JoinGrant} grant @param {import("./roomlink.js").LinkHooks} hooks
   */
  constructor(renew, grant, hooks) {
    super("", grant, hooks, 0);
    this.renewGrant = renew;
  }

  async freshGrant() {
    const base = /** @type {RoomLink} */ (this);
    if (!base.renew && new Date(this.grant.expires_at).getTime() - Date.now() > 60000) return this.grant;
    base.renew = false;
    const answer = await this.renewGrant();
    if (!("token" in answer)) throw new ApiError(403, "waiting", "you are waiting to be let in again");
    return answer;
  }
}

/** @type {MediaStream | null} */
let local = null;
let name = "You";
let muted = false;
let cameraOff = false;
/** @type {DropInLink | null} */
let link = null;
/** @type {Map<string, import("./roomlink.js").Peer>} */
let peers = new Map();
let backTo = "/drop-in";

function showSelf() {
  const hasVideo = Boolean(local?.getVideoTracks().length);
  setTile({ id: SELF, name, you: true, stream: local, muted, cameraOff: cameraOff || !hasVideo });
  $("mute").textContent = muted ? "Unmute" : "Mute";
  $("mute").dataset.off = String(muted);
  $("camera").textContent = cameraOff || !hasVideo ? "Start camera" : "Stop camera";
  $as("camera", HTMLButtonElement).disabled = !hasVideo;
  $as("mute", HTMLButtonElement).disabled = !local?.getAudioTracks().length;
}

/** @param {Map<string, MediaStream>} [streams] */
function showPeople(streams) {
  for (const id of tileIds()) if (id !== SELF && !peers.has(id)) removeTile(id);
  for (const [id, p] of peers) {
    setTile({ id, name: p.name || "Someone", muted: p.audio_muted, cameraOff: p.video_muted,
      away: !p.connected, paused: p.paused, ...(streams ? { stream: streams.get(id) || null } : {}) });
  }
}

async function startLocal() {
  try {
    const opened = await openMedia({ ...devices.get() });
    local = opened.stream;
    if (opened.cameraProblem) cameraOff = true;
  } catch (error) {
    local = null;
    say($("problem"), error instanceof MediaProblem && error.kind === "denied"
      ? "Your camera and microphone are blocked, so you can listen but not speak. Allow them in "
        + "the browser (the symbol next to the web address), then reload this page."
      : "No microphone could be started, so you can listen but not speak.", "error");
  }
  showSelf();
}

/**
 * @param {import("./types.js").JoinGrant} grant
 * @param {() => Promise<import("./types.js").JoinGrant | {status: string}>} renew
 */
async function connect(grant, renew) {
  link = new DropInLink(renew, grant, {
    peers: (p) => { peers = p; showPeople(); },
    media: (streams) => showPeople(streams),
    state: (s) => {
      setConnection(s);
      if (s === "connected") link?.setMute(muted, cameraOff || !local?.getVideoTracks().length);
    },
    event: () => undefined,
    refused: (_code, detail) => say($("problem"), detail, "error"),
    final: (words, code) => {
      stopMedia(local);
      for (const id of tileIds()) if (id !== SELF) removeTile(id);
      document.documentElement.dataset.over = "true";
      $("leave").textContent = "Done";
      say($("problem"), FINAL[code] || words, "info");
      $("host").hidden = true;
    },
  });
  Object.assign(globalThis, { roundsRoom: link });
  addEventListener("offline", () => link?.drop());
  await link.start(local);
}

// ---------------------------------------------------------------- a host's controls

/** @param {string} roomId @param {import("./dropin-types.js").DropInLobby} lobby */
function showLobby(roomId, lobby) {
  const act = (/** @type {string} */ what, /** @type {import("./dropin-types.js").Visitor} */ v,
    /** @type {string} */ label, /** @type {string} */ kind) => {
    const button = h("button", { type: "button", className: kind }, label,
      h("span", { className: "visually-hidden" }, ` ${v.name}`));
    button.addEventListener("click", () => void busy(button, $("host-status"), async () => {
      showLobby(roomId, await post(
        `/drop-in-rooms/${encodeURIComponent(roomId)}/visits/${encodeURIComponent(v.participant_id)}/${what}`));
    }));
    return button;
  };
  $("waiting").replaceChildren(...lobby.waiting.map((v) => h("li", { className: "visitor" },
    h("span", {}, v.name), " ", act("admit", v, "Let in", ""), " ", act("remove", v, "Turn away", "secondary"))));
  $("nobody-waiting").hidden = lobby.waiting.length > 0;
  $("inside").replaceChildren(...lobby.inside.map((v) => h("li", { className: "visitor" },
    h("span", {}, v.name), " ", act("remove", v, "Ask to leave", "danger"))));
  $("nobody-inside").hidden = lobby.inside.length > 0;
  if (lobby.waiting.length) $("announce").textContent = `${lobby.waiting.length} waiting to come in`;
}

/** @param {string} roomId */
function wireHost(roomId) {
  $("host").hidden = false;
  const stream = new EventSource(`/api/v1/drop-in-rooms/${encodeURIComponent(roomId)}/events`);
  stream.addEventListener("lobby", (e) => showLobby(roomId, JSON.parse(/** @type {MessageEvent} */ (e).data)));
  stream.addEventListener("closed", () => stream.close());
  const close = $as("close-room", HTMLButtonElement);
  close.addEventListener("click", () => void busy(close, $("host-status"), async () => {
    if (!confirm("Close the room for everyone in it now?")) return;
    stream.close();
    await post(`/drop-in-rooms/${encodeURIComponent(roomId)}/close`);
  }));
}

/** @param {string} roomId */
async function host(roomId) {
  /** @type {import("./types.js").Account} */
  const me = await get("/auth/me");
  name = me.display_name;
  backTo = "/networks";
  $("title").textContent = "Drop-in room (hosting)";
  await startLocal();
  const renew = () => post(`/drop-in-rooms/${encodeURIComponent(roomId)}/host`);
  const grant = await renew();
  wireHost(roomId);
  await connect(/** @type {import("./types.js").JoinGrant} */ (grant), renew);
}

async function visit() {
  let kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(VISIT) || "null");
    sessionStorage.removeItem(VISIT);  // nothing of the visit stays in the tab
  } catch { /* nothing kept */ }
  if (!kept) {
    setConnection("closed");
    $("title").textContent = "Drop-in room";
    return say($("problem"), "Open your peer network's link again to drop in.", "error");
  }
  name = kept.name;
  $("title").textContent = kept.network;
  document.title = `${kept.network} · Drop-in room · Rounds`;
  await startLocal();
  await connect(kept.grant, () => post("/drop-in/visits/join", { ticket: kept.ticket }));
}

function wireControls() {
  $("mute").addEventListener("click", () => {
    muted = !muted;
    for (const track of local?.getAudioTracks() || []) track.enabled = !muted;
    showSelf();
    link?.setMute(muted, cameraOff || !local?.getVideoTracks().length);
  });
  $("camera").addEventListener("click", () => {
    cameraOff = !cameraOff;
    for (const track of local?.getVideoTracks() || []) track.enabled = !cameraOff;
    showSelf();
    link?.setMute(muted, cameraOff);
  });
  $("leave").addEventListener("click", () => {
    link?.leave();
    stopMedia(local);
    location.assign(backTo);
  });
  addEventListener("pagehide", () => { link?.leave(); stopMedia(local); });
}

async function main() {
  mountGrid($("grid"));
  watchNetwork();
  wireControls();
  const roomId = param("room");
  try {
    await (roomId ? host(roomId) : visit());
  } catch (error) {
    setConnection("closed");
    say($("problem"), message(error), "error");
  }
}

main();
