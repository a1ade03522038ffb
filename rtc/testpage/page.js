// @ts-check
// Minimal UI over protocol.js: shows every other participant's video. Test hooks on window.
import { RoomConnection } from "/static/protocol.js";

// the token travels in the fragment, which browsers never send to a server (nor to its logs)
const params = new URLSearchParams(location.hash.slice(1));
const token = params.get("token") || "";
const wsUrl = params.get("ws") || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/rtc`;
const status = /** @type {HTMLElement} */ (document.getElementById("status"));
const peers = /** @type {HTMLElement} */ (document.getElementById("peers"));
const room = new RoomConnection(wsUrl, token);
/** @type {Map<string, HTMLVideoElement|HTMLAudioElement>} mid -> element */
const elements = new Map();

room.addEventListener("track", (e) => {
  const { mid, kind, track } = /** @type {CustomEvent} */ (e).detail;
  // a media section the server reuses for someone else fires "track" again: reuse its element
  let el = elements.get(mid);
  if (!el) {
    el = document.createElement(kind === "video" ? "video" : "audio");
    el.autoplay = true;
    el.muted = true; // the test page never plays sound
    if (el instanceof HTMLVideoElement) el.playsInline = true;
    el.dataset.mid = mid;
    elements.set(mid, el);
    peers.appendChild(el);
  }
  el.srcObject = new MediaStream([track]);
});
room.addEventListener("streams", (e) => {
  const { streams } = /** @type {CustomEvent} */ (e).detail;
  for (const [mid, el] of elements) el.dataset.participant = streams[mid] ? streams[mid].participant : "";
});
room.addEventListener("close", (e) => { status.textContent = `closed ${/** @type {CustomEvent} */ (e).detail.code}`; });

/** framesDecoded per participant whose video this page receives now. */
async function framesDecoded() {
  /** @type {Record<string, number>} */
  const out = {};
  if (!room.subscribePc) return out;
  const stats = await room.subscribePc.getStats();
  stats.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") {
      const info = room.streamOf(s.mid);
      if (info) out[info.participant] = (out[info.participant] || 0) + (s.framesDecoded || 0);
    }
  });
  return out;
}

async function start() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240, frameRate: 15 } });
  const joined = await room.connect();
  /** @type {HTMLElement} */ (document.getElementById("me")).textContent = joined.participant;
  await room.publish(stream);
  status.textContent = "joined";
}

// @ts-ignore test hooks
window.rtc = { room, framesDecoded, ready: start().catch((err) => { status.textContent = `failed: ${err}`; throw err; }) };
