// @ts-check
/**
 * The room page, `/room?session=ID`: usable before any media flows.
 *
 * 1. Find the group and session (this device's membership or the facilitator's account); if the
 *    current ground rules have not been acknowledged in this tab, go to the lobby to do it.
 * 2. Show yourself: the camera and microphone chosen in the device check (or audio only).
 * 3. Take the join grant the lobby got when the facilitator let us in, or ask for one
 *    (`POST /sessions/{id}/join` with the acknowledged version); not let in yet → the lobby.
 * 4. Connect with the grant (roomlink.js over protocol.js): publish, show everyone's video,
 *    follow the round (roundview.js) and, for a facilitator, load the controls (facilitate.js).
 *
 * The grid (tiles.js), the round display (roundview.js) and the connection banner
 * (connstatus.js) are what the link drives.
 */

import { ApiError, post } from "./api.js";
import { setConnection, watchNetwork } from "./connstatus.js";
import { load } from "./context.js";
import { has, ready, t } from "./i18n.js";
import { MediaProblem, openMedia, stopMedia } from "./media.js";
import { RoomLink } from "./roomlink.js";
import { announce, showState } from "./roundview.js";
import { ack, devices, grants } from "./store.js";
import { mountGrid, onTileSizes, removeTile, setHideVideo, setLayout, setTile, tileIds } from "./tiles.js";
import { $, $as, message, param, say } from "./ui.js";

const SELF = "self";
const ENDED_MS = 6000;

/** @type {MediaStream | null} */
let local = null;
let name = "";
let muted = false;
/** Muted by the facilitator: only they can allow unmuting; then the doctor unmutes. */
let forcedMute = false;
let cameraOff = false;
let audioOnly = Boolean(devices.get().audioOnly);

/** @type {RoomLink | null} */
let link = null;
/** @type {string} */
let me = "";
/** @type {import("./room-types.js").LinkState} */
let linkState = "connecting";
/** @type {Map<string, import("./room-types.js").Peer>} */
let peers = new Map();
/** @type {import("./events.js").LiveState | null} */
let live = null;
/** @type {typeof import("./facilitate.js") | null} */
let panel = null;
/** Pairs, chat, private word: loaded once connected. @type {typeof import("./together.js") | null} */
let more = null;

/** A name, also of someone who has dropped or left. @param {string} id */
const nameOf = (id) => (id === me ? name : peers.get(id)?.name || live?.names?.[id] || t("room.someone"));
/** @param {string} id */
const roleOf = (id) => (id === me ? myRole : peers.get(id)?.role || "member");
let myRole = "member";
let groupId = "";

/** Where Leave goes: the group page, or a member's lobby (it says if the session ended). */
const backTo = () => (myRole !== "member" && groupId ? `/group?id=${encodeURIComponent(groupId)}`
  : `/lobby?session=${encodeURIComponent(param("session"))}&left=1`);

/** The tiles of the others, from the people list and their media. @param {Map<string, MediaStream>} [streams] */
function showPeople(streams) {
  for (const id of tileIds()) if (id !== SELF && !peers.has(id)) removeTile(id);
  for (const [id, p] of peers) {
    setTile({ id, name: p.name || t("room.someone"), muted: p.audio_muted, cameraOff: p.video_muted,
      away: !p.connected, forcedMute: p.forced_mute, paused: p.paused, reduced: p.reduced, busy: p.busy,
      ...(streams ? { stream: streams.get(id) || null } : {}) });
  }
  showLink();
  showStage();
  if (live && panel) panel.showFacilitation(live);
}

/** Audio only is offered once our link has carried no video this long (and goes likewise). */
const OFFER_AFTER_MS = 5000;
let linkSince = 0;
let carries = true;

/** Our own link as the server treats it: weak, or carrying no video (offer audio only). Video
 * the server sheds because it is busy says nothing of our link. */
function showLink() {
  const others = [...peers].filter(([id, p]) => p.connected && !p.video_muted
    && link?.streams.get(id)?.getVideoTracks().length).map(([, p]) => p);
  const now = others.length === 0 || others.some((p) => !p.paused || p.busy);
  setTile({ id: SELF, weak: others.some((p) => (p.paused || p.reduced) && !p.busy) });
  if (now !== carries) {
    carries = now;
    linkSince = Date.now();
    setTimeout(showLink, OFFER_AFTER_MS + 100);
  }
  const offer = $("link-offer");
  if (Date.now() - linkSince >= OFFER_AFTER_MS) offer.hidden = carries;
  if (audioOnly) offer.hidden = true;
}

/** Floor, presenter aside, hands and mutes from the round state onto the tiles. */
function showStage() {
  if (!live) return;
  const stage = showState(live, { me, nameOf, serverNow: () => link ? link.serverNow() : Date.now() / 1000 });
  const forced = stage.muted.includes(me);
  if (forced && !muted) toggleMute();  // a facilitator's mute mutes my own microphone too
  if (forced !== forcedMute) announce(t(forced ? "room.sayMuted" : "room.sayUnmuteAllowed"));
  forcedMute = forced;
  $as("mute", HTMLButtonElement).disabled = forced || !local?.getAudioTracks().length;
  setLayout(stage.layout);
  for (const id of tileIds()) {
    const pid = id === SELF ? me : id;
    setTile({ id, hasFloor: stage.floor === pid, aside: stage.aside === pid,
      hand: stage.raised.includes(pid), forcedMute: stage.muted.includes(pid) });
  }
}

/** @param {string} kind @param {any} data */
function onEvent(kind, data) {
  more?.on(kind, data);
  if (kind === "state") {
    live = data;
    showStage();
    panel?.showFacilitation(data);
  } else if (kind === "talk_time") {
    panel?.showTalk(data.seconds || {});
  } else if (kind === "notice" && data.about === "controls" && data.holder === me) {
    announce(t("room.sayControls"));
  } else if (kind === "notice" && data.about === "phase_warning" && live?.phase?.kind !== "pairs") {
    // (in pairs the bell says it: together.js)
    announce(t(data.warning === "one_minute_left" ? "room.sayPhaseMinute" : "room.sayPhaseOver"));
  }
}

/**
 * Connect to the room with the grant, publish `stream` and follow the people and the round.
 * @param {string} sessionId @param {import("./types.js").JoinGrant} grant
 * @param {MediaStream | null} stream @param {number} version
 */
async function connectRoom(sessionId, grant, stream, version) {
  me = grant.participant_id;
  myRole = grant.role;
  if (grant.role !== "member") {
    panel = await import("./facilitate.js");
    panel.mountFacilitation({ sessionId, groupId, me, nameOf, roleOf,
      act: (kind, data) => link?.act(kind, data), present: () => [me, ...[...peers.values()]
        .filter((p) => p.connected).map((p) => p.id)] });
  }
  link = new RoomLink(sessionId, grant, {
    peers: (p) => { peers = p; showPeople(); },
    media: (streams) => showPeople(streams),
    state: (s) => {
      linkState = s;
      setConnection(s);
      if (s === "connected") localTracksChanged(false);
    },
    event: onEvent,
    refused: (_code, detail) => panel ? panel.showRefusal(detail)
      : say($("problem"), message(new ApiError(409, _code, detail)), "error"),
    final: (code, detail) => {
      const words = has(`close.${code}`) ? t(`close.${code}`) : message(new ApiError(400, code, detail));
      stopMedia(local);
      for (const id of tileIds()) if (id !== SELF) removeTile(id);
      document.documentElement.dataset.over = "true";  // no more Mute, camera or hand
      $("leave").textContent = t("room.backToGroup");
      say($("problem"), words, "info");
      if (code === "4007" || code === "session_ended") setTimeout(() => location.assign(backTo()), ENDED_MS);
    },
  }, version);
  Object.assign(globalThis, { roundsRoom: link });
  void import("./together.js").then((m) => {
    m.mount(/** @type {RoomLink} */ (link), me, nameOf, grant.role, groupId);
    more = m;
    if (live) m.on("state", live);
  });
  addEventListener("offline", () => link?.drop());
  link.setReceiveVideo(!audioOnly);
  onTileSizes((heights) => link?.setTiles(heights));
  await link.start(stream);
}

/** Tell the room our outgoing tracks changed; publish again when the camera came or went. */
function localTracksChanged(republish = true) {
  if (!link || linkState !== "connected") return;
  link.setMute(muted, cameraOff || audioOnly || !local?.getVideoTracks().length);
  if (republish) link.republish();
}

function showSelf() {
  const hasVideo = Boolean(local?.getVideoTracks().length);
  setTile({ id: SELF, name, you: true, stream: local, muted, cameraOff: cameraOff || !hasVideo });
  $("mute").textContent = t(muted ? "room.unmute" : "room.mute");
  $("mute").dataset.off = String(muted);
  $("camera").textContent = t(cameraOff || !hasVideo ? "room.startCamera" : "room.stopCamera");
  $("camera").dataset.off = String(cameraOff || !hasVideo);
  $as("camera", HTMLButtonElement).disabled = audioOnly || !local;
  $as("mute", HTMLButtonElement).disabled = forcedMute || !local?.getAudioTracks().length;
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
    say($("problem"), t(kind === "denied" ? "room.mediaBlocked" : "room.noMicrophone"), "error");
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
      say($("problem"), t("room.cameraFailed"), "error");
    }
  }
  cameraOff = !on;
  showSelf();
  localTracksChanged();
}

function toggleMute() {
  muted = !muted;
  for (const track of local?.getAudioTracks() || []) track.enabled = !muted;
  showSelf();
  localTracksChanged(false);
}

function wireControls() {
  $("mute").addEventListener("click", toggleMute);
  $("camera").addEventListener("click", () => void setCamera(cameraOff));
  $("audio-only").addEventListener("click", async () => {
    audioOnly = !audioOnly;
    devices.set({ audioOnly });
    setHideVideo(audioOnly);
    link?.setReceiveVideo(!audioOnly);
    await setCamera(!audioOnly);
    showLink();
  });
  $("link-audio-only").addEventListener("click", () => $("audio-only").click());
  $("hand").addEventListener("click", () => {
    link?.act("hand", { action: $("hand").getAttribute("aria-pressed") === "true" ? "lower" : "raise" });
  });
  $("finish").addEventListener("click", () => link?.act("round", { action: "finish" }));
  $("pass").addEventListener("click", () => link?.act("round", { action: "pass" }));
  $("sound").addEventListener("click", () => {
    for (const v of document.querySelectorAll(".tile[data-you=false] video")) {
      const video = /** @type {HTMLVideoElement} */ (v);
      video.muted = false;
      void video.play().catch(() => undefined);
    }
    $("sound").hidden = true;
  });
  addEventListener("rounds:autoplay-blocked", () => { $("sound").hidden = false; });
  $("leave").addEventListener("click", async () => {
    if (document.documentElement.dataset.over !== "true" && panel && !(await panel.confirmLeave())) return;
    link?.leave();
    stopMedia(local);
    location.assign(backTo());
  });
  addEventListener("pagehide", () => { link?.leave(); stopMedia(local); });
}

async function main() {
  await ready("common", "room");
  name = t("room.you");
  mountGrid($("grid"));
  watchNetwork();
  wireControls();
  setHideVideo(audioOnly);
  const sessionId = param("session");
  const ctx = sessionId ? await load("", sessionId).catch(() => null) : null;
  if (!ctx) {
    $("title").textContent = t("app.name");
    setConnection("closed");
    return say($("problem"), t("room.notInGroup"), "error");
  }
  name = ctx.name;
  groupId = ctx.group.id;
  const title = ctx.session?.title ? `${ctx.group.name}: ${ctx.session.title}` : ctx.group.name;
  $("title").textContent = title;
  document.title = t("room.pageOf", { title });
  const version = ack.get(ctx.group.id);
  if (version !== ctx.group.ground_rules_version) {
    location.replace(`/lobby?session=${encodeURIComponent(sessionId)}`);
    return;
  }
  await startLocal();
  try {
    /** @type {import("./types.js").JoinGrant | {status: "waiting"}} */
    const grant = grants.take(sessionId) || await post(
      `/sessions/${encodeURIComponent(sessionId)}/join`, { ground_rules_version: version });
    if (!("token" in grant)) {  // not let in yet: wait in the lobby
      stopMedia(local);
      location.replace(`/lobby?session=${encodeURIComponent(sessionId)}`);
      return;
    }
    await connectRoom(sessionId, grant, local, version);
  } catch (error) {
    if (error instanceof ApiError && error.code === "ground_rules_changed") {
      location.replace(`/lobby?session=${encodeURIComponent(sessionId)}`);
      return;
    }
    setConnection("closed");
    const notOpen = error instanceof ApiError && error.code === "session_not_open";
    say($("problem"), notOpen ? t("room.notOpen") : message(error), "error");
  }
}

main();
