// @ts-check
/**
 * A small room without a round (a drop-in room, a near-peer pair's room): the same live link as
 * a group's room (roomlink.js over protocol.js) and the same tiles, camera and microphone
 * controls and Leave. The page gives the first join grant, how to renew it, and where Leave goes.
 */

import { ApiError } from "./api.js";
import { setConnection, watchNetwork } from "./connstatus.js";
import { MediaProblem, openMedia, stopMedia } from "./media.js";
import { RoomLink } from "./roomlink.js";
import { has, t } from "./i18n.js";
import { devices } from "./store.js";
import { mountGrid, removeTile, setTile, tileIds } from "./tiles.js";
import { $, $as, message, say } from "./ui.js";

const SELF = "self";

/** @typedef {import("./types.js").JoinGrant} JoinGrant */

/** The link renews its grant the page's way (a visit's ticket, a host's room, a pair's link). */
class SimpleLink extends RoomLink {
  /**
   * @param {() => Promise<JoinGrant | {status: string}>} renew
   * @param {JoinGrant} grant @param {import("./roomlink.js").LinkHooks} hooks
   */
  constructor(renew, grant, hooks) {
    super("", grant, hooks, 0);
    this.renewGrant = renew;
  }

  async freshGrant() {
    const base = /** @type {RoomLink} */ (this);
    if (!base.stale()) return this.grant;
    base.renew = false;
    const answer = await this.renewGrant();
    if (!("token" in answer)) throw new ApiError(403, "waiting", "you are waiting to be let in again");
    return answer;
  }
}

/** @type {MediaStream | null} */
let local = null;
let name = "";
let muted = false;
let cameraOff = false;
/** @type {SimpleLink | null} */
let link = null;
/** @type {Map<string, import("./roomlink.js").Peer>} */
let peers = new Map();
let backTo = "/";

function showSelf() {
  const hasVideo = Boolean(local?.getVideoTracks().length);
  setTile({ id: SELF, name, you: true, stream: local, muted, cameraOff: cameraOff || !hasVideo });
  $("mute").textContent = t(muted ? "room.unmute" : "room.mute");
  $("mute").dataset.off = String(muted);
  $("camera").textContent = t(cameraOff || !hasVideo ? "room.startCamera" : "room.stopCamera");
  $as("camera", HTMLButtonElement).disabled = !hasVideo;
  $as("mute", HTMLButtonElement).disabled = !local?.getAudioTracks().length;
}

/** @param {Map<string, MediaStream>} [streams] */
function showPeople(streams) {
  for (const id of tileIds()) if (id !== SELF && !peers.has(id)) removeTile(id);
  for (const [id, p] of peers) {
    setTile({ id, name: p.name || t("room.someone"), muted: p.audio_muted, cameraOff: p.video_muted,
      away: !p.connected, paused: p.paused, busy: p.busy, ...(streams ? { stream: streams.get(id) || null } : {}) });
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
      ? t("room.mediaBlocked") : t("simpleRoom.noMicrophone"), "error");
  }
  showSelf();
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

/** Set up the grid and the controls, before anything connects. */
export function mountRoom() {
  mountGrid($("grid"));
  watchNetwork();
  wireControls();
}

/**
 * Show yourself, connect with the grant, and follow the people in the room.
 * @param {{name: string, grant: () => Promise<JoinGrant | {status: string}>,
 *   renew?: () => Promise<JoinGrant | {status: string}>, backTo: string,
 *   finalWords?: Record<string, string>, onFinal?: () => void}} options
 */
export async function enterRoom(options) {
  name = options.name || t("room.you");
  backTo = options.backTo;
  await startLocal();
  const first = await options.grant();
  if (!("token" in first)) throw new ApiError(403, "waiting", "you have not been let in yet");
  link = new SimpleLink(options.renew || options.grant, first, {
    peers: (p) => { peers = p; showPeople(); },
    media: (streams) => showPeople(streams),
    state: (s) => {
      setConnection(s);
      if (s === "connected") link?.setMute(muted, cameraOff || !local?.getVideoTracks().length);
    },
    event: () => undefined,
    refused: (code, detail) => say($("problem"), message(new ApiError(409, code, detail)), "error"),
    final: (code, detail) => {  // the page's own words for a close code, else the room's (close.CODE)
      const words = options.finalWords?.[code]
        || (has(`close.${code}`) ? t(`close.${code}`) : message(new ApiError(400, code, detail)));
      stopMedia(local);
      for (const id of tileIds()) if (id !== SELF) removeTile(id);
      document.documentElement.dataset.over = "true";
      $("leave").textContent = t("simpleRoom.done");
      say($("problem"), words, "info");
      options.onFinal?.();
    },
  });
  Object.assign(globalThis, { roundsRoom: link });
  addEventListener("offline", () => link?.drop());
  await link.start(local);
}

/** The room could not be entered: say why. @param {string} words */
export function cannotEnter(words) {
  setConnection("closed");
  say($("problem"), words, "error");
}
