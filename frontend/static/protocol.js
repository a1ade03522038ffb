// @ts-check
/**
 * Browser side of the Rounds room protocol (docs/protocol.md). No DOM: the UI listens to the
 * events of a RoomConnection and renders them. Plain ES module, nothing from another host.
 *
 * Events (CustomEvent, payload in `detail`):
 *   joined {participant, room, role, participants}   peer_joined {peer}   peer_left {participant, reason}
 *   streams {streams}  (mid -> {participant, kind}, after each subscription change)
 *   track {mid, participant, kind, track}   mute_state {...}   event {kind, data}
 *   error {code, detail, ref}   close {code, reason}
 */

export const PROTOCOL_VERSION = 1;

/** @typedef {{urls: string[], username?: string|null, credential?: string|null}} IceServer */
/** @typedef {{participant: string, kind: "audio"|"video"}} StreamInfo */

const GATHER_WAIT_MS = 1500;
/** Waits before rebuilding a dead publish connection, growing while rebuilds go unheard. */
const REPUBLISH_BACKOFF_MS = [1000, 3000, 10000, 30000];

/**
 * The server's receiver reports so far (null before any) and the packets sent: reports that stand
 * still while `sent` grows mean the server's end died.
 * @param {RTCStatsReport} report
 * @returns {{heard: string|null, sent: number}}
 */
function publishProgress(report) {
  /** @type {string[]} */
  const heard = [];
  let sent = 0;
  report.forEach((s) => {
    if (s.type === "remote-inbound-rtp") {
      heard.push(JSON.stringify([s.ssrc, s.roundTripTimeMeasurements, s.totalRoundTripTime,
        s.roundTripTime, s.packetsLost, s.jitter, s.fractionLost]));
    } else if (s.type === "outbound-rtp") sent += s.packetsSent || 0;
  });
  return { heard: heard.length ? heard.sort().join("|") : null, sent };
}

/**
 * Wait until a peer connection has gathered its candidates (or a short while has passed).
 * @param {RTCPeerConnection} pc
 * @returns {Promise<void>}
 */
function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", done);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHER_WAIT_MS);
  });
}

/** A camera's most bits per second (640x360): a room of eight fits a 5 Mbit/s downlink. */
const VIDEO_MAX_BPS = 600000;
/** The same camera as a small picture (half the width and height), for thumbnails and weak links. */
const SMALL_MAX_BPS = 150000;

/**
 * Keep only VP8 (+RTX) or Opus on a transceiver, when the browser allows choosing.
 * @param {RTCRtpTransceiver} transceiver
 * @param {"audio"|"video"} kind
 */
function preferCodecs(transceiver, kind) {
  const wanted = kind === "video" ? ["video/vp8", "video/rtx"] : ["audio/opus"];
  const caps = typeof RTCRtpReceiver !== "undefined" && RTCRtpReceiver.getCapabilities
    ? RTCRtpReceiver.getCapabilities(kind) : null;
  if (!caps || !transceiver.setCodecPreferences) return;
  const codecs = caps.codecs.filter((c) => wanted.includes(c.mimeType.toLowerCase()));
  try { transceiver.setCodecPreferences(codecs); } catch (e) { /* keep the defaults */ }
}

export class RoomConnection extends EventTarget {
  /**
   * @param {string} url WebSocket URL of the server's /rtc endpoint
   * @param {string} token join token issued by the app
   * @param {{iceServers?: IceServer[]}} [options] ICE servers to use instead of the ones the
   *   server announces in `joined` (e.g. TURN credentials the app issued with the join grant)
   */
  constructor(url, token, options = {}) {
    super();
    this.url = url;
    this.token = token;
    /** @type {IceServer[]|null} */ this.iceOverride = options.iceServers || null;
    /** @type {WebSocket|null} */ this.ws = null;
    /** @type {RTCPeerConnection|null} */ this.publishPc = null;
    /** @type {RTCPeerConnection|null} */ this.subscribePc = null;
    /** @type {Record<string, StreamInfo>} */ this.streams = {};
    /** @type {IceServer[]} */ this.iceServers = [];
    this.participant = "";
    /** @type {((msg: any) => void)|null} */ this._waiter = null;
    /** @type {Map<number, (msg: any) => void>} */ this._timeWaiters = new Map();
    this._queue = Promise.resolve();
    /** @type {MediaStream|null} what `publish` was last given (a rebuild publishes it again) */
    this._publishStream = null;
    /** @type {ReturnType<typeof setTimeout>|undefined} */ this._republishTimer = undefined;
    /** Rebuilds of the publish connection since the server was last heard on one. */
    this._republishes = 0;
    /** How often the publish connection's statistics are read (ms). */
    this.publishCheckMs = 5000;
    /** No receiver report from the server for this long while sending: the connection is dead. */
    this.publishSilentMs = 20000;
  }

  /** @param {string} type @param {any} detail */
  _emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  /** @param {Record<string, any>} msg */
  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /**
   * Open the socket, say hello and join. Resolves with the `joined` message.
   * @returns {Promise<any>}
   */
  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.onopen = () => this.send({ type: "hello", version: PROTOCOL_VERSION });
      ws.onclose = (e) => { reject(new Error(`closed ${e.code}`)); this._emit("close", { code: e.code, reason: e.reason }); };
      ws.onmessage = (e) => {
        this.heardAt = Date.now();
        const msg = JSON.parse(e.data);
        if (msg.type === "hello") this.send({ type: "join", token: this.token });
        else if (msg.type === "joined") {
          this.participant = msg.participant;
          this.iceServers = this.iceOverride || msg.ice_servers;
          this._emit("joined", msg);
          resolve(msg);
        } else if (msg.type === "error" && !this.participant) reject(new Error(msg.code));
        // messages are handled one after another, in order
        this._queue = this._queue.then(() => this._handle(msg)).catch((err) => {
          this._emit("error", { code: "client", detail: String(err), ref: msg.type });
        });
      };
    });
  }

  /** @param {any} msg */
  async _handle(msg) {
    switch (msg.type) {
      case "publish_answer":
        if (this.publishPc) await this.publishPc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
        break;
      case "subscribe_offer":
        await this._onOffer(msg);
        break;
      case "ping":
        this.send({ type: "pong", id: msg.id });
        break;
      case "time": {
        const waiter = this._timeWaiters.get(msg.t0);
        if (waiter) { this._timeWaiters.delete(msg.t0); waiter(msg); }
        break;
      }
      case "peer_joined": case "peer_left": case "mute_state": case "video_paused": case "event": case "error":
        this._emit(msg.type, msg);
        break;
      default:
        break;
    }
  }

  /** Bytes received so far on both peer connections (0 if the browser cannot say). */
  async received() {
    let total = 0;
    for (const pc of [this.subscribePc, this.publishPc]) {
      if (!pc) continue;
      try {
        (await pc.getStats()).forEach((s) => { if (s.type === "transport") total += s.bytesReceived || 0; });
      } catch (e) { /* statistics unavailable this time */ }
    }
    return total;
  }

  /** Whether the server still answers: any message within `ms` of a ping. @param {number} ms */
  alive(ms) {
    const asked = Date.now();
    this.send({ type: "ping", id: String(asked) });
    return new Promise((resolve) => setTimeout(() => resolve((this.heardAt || 0) >= asked), ms));
  }

  /** @param {boolean} maxBundle */
  _newPc(maxBundle) {
    /** @type {RTCConfiguration} */
    const config = { iceServers: this.iceServers.map((s) => ({ urls: s.urls, username: s.username ?? undefined, credential: s.credential ?? undefined })) };
    if (maxBundle) config.bundlePolicy = "max-bundle";
    return new RTCPeerConnection(config);
  }

  /**
   * Publish a microphone and a camera (either may be missing). Rebuilds the publish
   * connection if one exists (the server has no ICE restart). The connection is rebuilt again,
   * with a growing wait, if it fails, is closed, or the server stops sending receiver reports.
   * @param {MediaStream} stream
   */
  async publish(stream) {
    this._publishStream = stream;
    clearTimeout(this._republishTimer);
    this._republishTimer = undefined;
    const old = this.publishPc;
    this.publishPc = null; // the old connection's handlers see it is no longer the current one
    if (old) old.close();
    const pc = this._newPc(true);
    this.publishPc = pc;
    const tracks = stream.getTracks();
    const camera = stream.getVideoTracks()[0];
    // video in three temporal layers (the server thins them for a weak receiver), then the same
    // camera again as a small picture: the server sends that to small tiles and weak links
    /** @type {{track: MediaStreamTrack, encoding: Record<string, string|number>|null}[]} */
    const sends = tracks.map((track) => ({ track, encoding: track.kind === "video" ? { scalabilityMode: "L1T3", maxBitrate: VIDEO_MAX_BPS } : null }));
    if (camera) sends.push({ track: camera, encoding: { scalabilityMode: "L1T3", maxBitrate: SMALL_MAX_BPS, scaleResolutionDownBy: 2, priority: "high" } });
    for (const { track, encoding } of sends) {
      /** @type {RTCRtpTransceiverInit} */
      const init = { direction: "sendonly", streams: [stream] };
      if (encoding) init.sendEncodings = [/** @type {RTCRtpEncodingParameters} */ (encoding)];
      let t;
      try { t = pc.addTransceiver(track, init); } catch (e) { t = pc.addTransceiver(track, { direction: "sendonly", streams: [stream] }); }
      preferCodecs(t, /** @type {"audio"|"video"} */ (track.kind));
    }
    pc.onicecandidate = (e) => {
      if (e.candidate && e.candidate.candidate) this.send({ type: "candidate", target: "publish", candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex });
    };
    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      if (state === "failed" || state === "closed") this._publishDown(pc);
    };
    this._watchPublish(pc);
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    this.send({ type: "publish", sdp: /** @type {RTCSessionDescription} */ (pc.localDescription).sdp });
  }

  /**
   * Rebuild the publish connection once the server, having reported, stays silent for
   * `publishSilentMs` while packets go out (checked every `publishCheckMs`).
   * @param {RTCPeerConnection} pc
   */
  _watchPublish(pc) {
    /** @type {string|null} */
    let heard = null;
    let since = Date.now();
    let sentSince = 0;
    const check = async () => {
      if (this.publishPc !== pc || pc.connectionState === "closed") return;
      try {
        const now = publishProgress(await pc.getStats());
        if (this.publishPc !== pc) return;
        if (now.heard !== heard || now.sent <= sentSince) {
          if (now.heard !== null && heard !== null) this._republishes = 0;
          heard = now.heard;
          since = Date.now();
          sentSince = now.sent;
        } else if (heard !== null && Date.now() - since >= this.publishSilentMs) {
          this._publishDown(pc);
          return;
        }
      } catch (e) { /* statistics unavailable this time */ }
      setTimeout(check, this.publishCheckMs);
    };
    setTimeout(check, this.publishCheckMs);
  }

  /**
   * The publish connection is dead: publish the stream again after a growing wait (never while
   * the socket is down: the page's reconnect publishes then).
   * @param {RTCPeerConnection} pc
   */
  _publishDown(pc) {
    if (this.publishPc !== pc || this._republishTimer !== undefined || !this._publishStream) return;
    const wait = REPUBLISH_BACKOFF_MS[Math.min(this._republishes, REPUBLISH_BACKOFF_MS.length - 1)];
    this._republishes += 1;
    this._republishTimer = setTimeout(() => {
      this._republishTimer = undefined;
      const stream = this._publishStream;
      if (this.publishPc !== pc || !stream || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.publish(stream).catch((err) => {
        this._emit("error", { code: "client", detail: String(err), ref: "publish" });
      });
    }, wait);
  }

  /** @param {any} msg */
  async _onOffer(msg) {
    if (msg.restart && this.subscribePc) { this.subscribePc.close(); this.subscribePc = null; }
    if (!this.subscribePc) {
      const pc = this._newPc(true);
      this.subscribePc = pc;
      pc.ontrack = (e) => {
        const mid = e.transceiver.mid || "";
        const info = this.streams[mid];
        this._emit("track", { mid, participant: info ? info.participant : null, kind: e.track.kind, track: e.track });
      };
      pc.onicecandidate = (e) => {
        if (e.candidate && e.candidate.candidate) this.send({ type: "candidate", target: "subscribe", candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex });
      };
    }
    const pc = this.subscribePc;
    this.streams = msg.streams;
    await pc.setRemoteDescription({ type: "offer", sdp: msg.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    this.send({ type: "subscribe_answer", revision: msg.revision, sdp: /** @type {RTCSessionDescription} */ (pc.localDescription).sdp });
    this._emit("streams", { streams: this.streams });
  }

  /** Tell everyone whether my own microphone / camera is muted. */
  setMute(/** @type {boolean} */ audio, /** @type {boolean} */ video) {
    this.send({ type: "mute", audio, video });
  }

  /** Receive video or not (audio only, for a weak network): the server stops sending it. */
  setReceive(/** @type {boolean} */ video) {
    this.send({ type: "receive", video });
  }

  /** Each tile's height in device pixels, by participant: small tiles get small pictures. */
  setTiles(/** @type {Record<string, number>} */ heights) {
    this.send({ type: "tiles", heights });
  }

  /** Send a message of an app kind (rounds, floor...) to the app's handler. */
  sendApp(/** @type {string} */ kind, /** @type {Record<string, any>} */ data = {}) {
    this.send({ type: "app", kind, data });
  }

  /**
   * Estimate the server clock: resolves with {offset, rtt} in ms (server = local + offset).
   * @returns {Promise<{offset: number, rtt: number}>}
   */
  time() {
    return new Promise((resolve) => {
      const t0 = Date.now() + Math.random() / 1000;
      this._timeWaiters.set(t0, (msg) => {
        const t1 = Date.now();
        resolve({ offset: msg.server_time - (t0 + t1) / 2, rtt: t1 - t0 });
      });
      this.send({ type: "time", t0 });
    });
  }

  /** Which participant and kind a subscribed media section (mid) carries now. */
  streamOf(/** @type {string} */ mid) { return this.streams[mid] || null; }

  leave() {
    this.send({ type: "leave" });
    clearTimeout(this._republishTimer);
    this._republishTimer = undefined;
    this._publishStream = null;
    const pcs = [this.publishPc, this.subscribePc];
    this.publishPc = null; // so closing it is not taken for a failure
    for (const pc of pcs) if (pc) pc.close();
    if (this.ws) this.ws.close();
  }
}
