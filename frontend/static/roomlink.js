// @ts-check
/**
 * The room's live link: one RoomConnection (protocol.js) at a time, rebuilt after a drop.
 *
 * It publishes the local camera and microphone, keeps the list of people (`joined`,
 * `peer_joined`, `peer_left`, `mute_state`), turns the subscribed media sections into one
 * MediaStream per person (switching on the server's mid → participant map, not on the track),
 * measures the server clock offset with the `time` handshake, and hands `event` messages to the
 * page. When the socket drops for any reason but a final one (removed, replaced, room closed)
 * it says "reconnecting", waits a little and builds a new connection with a fresh join grant.
 * No DOM.
 */

import { ApiError, post } from "./api.js";
import { RoomConnection } from "./protocol.js";

/** @typedef {import("./room-types.js").Peer} Peer @typedef {import("./room-types.js").LinkHooks} LinkHooks
 * @typedef {import("./types.js").JoinGrant} JoinGrant */

/** Close codes after which coming back on our own would be wrong (words: `close.CODE`). */
const FINAL = new Set([4003, 4006, 4007, 4008, 4009]);
const FINAL_NAMES = /** @type {Record<string, number>} */ ({
  room_full: 4003, replaced: 4006, room_closed: 4007, removed: 4008, revoked: 4009 });
/** Waits before each try to come back: a media worker that died is replaced in placement
 * within 5 s of its last heartbeat, so the fourth try (5.5 s on) finds the room's next one. */
const BACKOFF_MS = [500, 1000, 2000, 2000, 4000, 8000];
/** The room moves to another media worker (it is being drained): join again at once. */
const MOVED = 4010;
const TIME_PROBES = 5;
const TIME_EVERY_MS = 30000;
const ALIVE_MS = 1000;
/** Milliseconds the tiles keep their sizes before the server is told them. */
const TILES_SETTLE_MS = 300;

export class RoomLink {
  /**
   * @param {string} sessionId @param {JoinGrant} grant @param {LinkHooks} hooks
   * @param {number} groundRules the acknowledged ground-rules version (for a new grant)
   */
  constructor(sessionId, grant, hooks, groundRules) {
    this.sessionId = sessionId;
    this.grant = grant;
    this.hooks = hooks;
    this.groundRules = groundRules;
    /** @type {RoomConnection | null} */ this.conn = null;
    /** @type {MediaStream | null} */ this.local = null;
    /** False in audio only: the server then sends no video at all. */
    this.receiveVideo = true;
    /** @type {Record<string, number>} each tile's height, as the server is told */
    this.tiles = {};
    /** @type {ReturnType<typeof setTimeout> | undefined} */ this.tilesTimer = undefined;
    /** @type {Map<string, Peer>} */ this.peers = new Map();
    /** @type {Map<string, MediaStream>} */ this.streams = new Map();
    /** Server clock minus local clock, in milliseconds. */
    this.offset = 0;
    this.me = grant.participant_id;
    this.attempt = 0;
    this.over = false;
    this.checking = false;
    this.renew = false;
    this.lastPublish = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */ this.publishTimer = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */ this.timeTimer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */ this.retryTimer = undefined;
    addEventListener("online", () => { if (!this.over && this.attempt > 0) void this.open(); });
    setInterval(() => void this.check(), ALIVE_MS);
  }

  /**
   * Every second: does the server still answer? If not, and no media arrives either, but the
   * network works (a new request gets through: the address changed, Wi-Fi to 4G), connect
   * again at once, keeping the seat and the turn; if the network is down, keep what we have
   * (it comes back by itself). Media still arriving means the connection lives and only the
   * WebSocket's TCP is slow (a lost segment on a lossy link waits for its retransmission):
   * reconnecting then would cost seconds of everything (bench/results.md, session 9).
   */
  async check() {
    const conn = this.conn;
    if (!conn?.participant || this.over || this.checking) return;
    this.checking = true;
    const before = await conn.received();
    const lost = !(await conn.alive(ALIVE_MS)) && !((await conn.received()) > before)
      && await fetch("/healthz", { cache: "no-store",
        signal: AbortSignal.timeout(ALIVE_MS) }).then((r) => r.ok, () => false);
    this.checking = false;
    if (lost && this.conn === conn && !this.over) { this.attempt += 1; void this.open(); }
  }

  /** Server time now, in Unix seconds. */
  serverNow() { return (Date.now() + this.offset) / 1000; }

  /** Connect (again), publish and start measuring the clock. @param {MediaStream | null} local */
  async start(local) {
    this.local = local;
    await this.open();
  }

  async open() {
    clearTimeout(this.retryTimer);
    if (this.over) return;
    const old = this.conn;
    this.conn = null;
    if (old) { old.dispatchEvent(new Event("stale")); try { old.leave(); } catch { /* gone */ } }
    this.hooks.state(this.attempt ? "reconnecting" : "connecting");
    try {
      if (this.attempt) this.grant = await this.freshGrant();
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const conn = new RoomConnection(`${scheme}://${location.host}${this.grant.signalling_path}`,
        this.grant.token, { iceServers: this.grant.ice_servers });
      this.conn = conn;
      this.listen(conn);
      const joined = await conn.connect();
      if (this.conn !== conn) return;
      this.me = joined.participant;
      this.peers = new Map(joined.participants.map((/** @type {Peer} */ p) => [p.id, p]));
      this.hooks.peers(this.peers);
      this.streams = new Map();
      this.hooks.media(this.streams);
      if (!this.receiveVideo) conn.setReceive(false);
      if (Object.keys(this.tiles).length) conn.setTiles(this.tiles);
      if (this.local?.getTracks().length) await conn.publish(this.local);
      this.lastPublish = Date.now();
      this.attempt = 0;
      this.hooks.state("connected");
      conn.sendApp("state");
      await this.measureClock();
      clearInterval(this.timeTimer);
      this.timeTimer = setInterval(() => void this.measureClock(), TIME_EVERY_MS);
    } catch (error) {
      const why = error instanceof Error ? error.message : "";
      const code = FINAL_NAMES[why] || Number(/^closed (\d+)$/.exec(why)?.[1] || 0);
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
        this.finish(error.code, error.detail);
      } else if (FINAL.has(code)) {
        this.finish(String(code));
      } else {
        if (why === "bad_token" || why === "token_expired" || code === 4001) this.renew = true;
        this.retry();
      }
    }
  }

  /** Whether to ask for a new grant before connecting again: the server refused the token,
   * or it has less than a minute to run, or it names a media worker (a worker's room may have
   * moved to another: the API knows where it is now). */
  stale() {
    return this.renew || this.grant.signalling_path !== "/rtc"
      || new Date(this.grant.expires_at).getTime() - Date.now() <= 60000;
  }

  /** A new join grant if the current one is `stale()`. */
  async freshGrant() {
    if (!this.stale()) return this.grant;
    this.renew = false;
    /** @type {JoinGrant | {status: string}} */
    const answer = await post(`/sessions/${encodeURIComponent(this.sessionId)}/join`,
      { ground_rules_version: this.groundRules });
    if (!("token" in answer)) throw new ApiError(403, "waiting", "");
    return answer;
  }

  retry() {
    if (this.over) return;
    const wait = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.hooks.state("reconnecting");
    this.retryTimer = setTimeout(() => void this.open(), wait);
  }

  /** Stop for good and say why. @param {string} code @param {string} [detail] */
  finish(code, detail = "") {
    this.over = true;
    clearInterval(this.timeTimer);
    this.hooks.state("closed");
    this.hooks.final(code, detail);
  }

  /** @param {RoomConnection} conn */
  listen(conn) {
    let stale = false;
    conn.addEventListener("stale", () => { stale = true; });
    /** @param {string} type @param {(detail: any) => void} fn */
    const on = (type, fn) => conn.addEventListener(type, (e) => {
      if (!stale && this.conn === conn) fn(/** @type {CustomEvent} */ (e).detail);
    });
    on("peer_joined", ({ peer }) => { this.peers.set(peer.id, peer); this.hooks.peers(this.peers); });
    on("peer_left", ({ participant, reason }) => {
      const peer = this.peers.get(participant);
      if (peer && reason === "lost") peer.connected = false;
      else this.peers.delete(participant);
      this.hooks.peers(this.peers);
    });
    on("mute_state", (m) => {
      const peer = this.peers.get(m.participant);
      if (peer) Object.assign(peer, { audio_muted: m.audio_muted, video_muted: m.video_muted,
        forced_mute: m.forced_mute });
      this.hooks.peers(this.peers);
    });
    // our link cannot take all their video now, or (busy) the server cannot keep up
    on("video_paused", ({ participants, reduced = [], busy = false }) => {
      for (const p of this.peers.values()) {
        p.paused = participants.includes(p.id);
        p.reduced = reduced.includes(p.id);
        p.busy = busy && (p.paused || p.reduced);
      }
      this.hooks.peers(this.peers);
    });
    on("streams", () => this.collect());
    on("track", () => this.collect());
    on("event", (msg) => this.hooks.event(msg.kind, msg.data));
    on("error", (msg) => { if (msg.ref === "app") this.hooks.refused(msg.code, msg.detail); });
    on("close", ({ code }) => {
      if (this.over || !conn.participant) return;  // before joining, open() deals with it
      if (FINAL.has(code)) this.finish(String(code));
      else if (code === MOVED) { this.renew = true; this.attempt += 1; void this.open(); }
      else this.retry();
    });
  }

  /** One MediaStream per person from the subscribed sections; kept while its tracks stay. */
  collect() {
    const conn = this.conn;
    const pc = conn?.subscribePc;
    if (!conn || !pc) return;
    /** @type {Map<string, MediaStreamTrack[]>} */
    const tracks = new Map();
    for (const t of pc.getTransceivers()) {
      const info = t.mid === null ? null : conn.streamOf(t.mid);
      if (!info || !t.receiver.track) continue;
      tracks.set(info.participant, [...(tracks.get(info.participant) || []), t.receiver.track]);
    }
    /** @type {Map<string, MediaStream>} */
    const next = new Map();
    for (const [id, list] of tracks) {
      const old = this.streams.get(id);
      const same = old && old.getTracks().length === list.length
        && list.every((track) => old.getTracks().includes(track));
      next.set(id, same && old ? old : new MediaStream(list));
    }
    this.streams = next;
    this.hooks.media(next);
  }

  /** Estimate the server clock from a few probes; the one with the shortest round trip wins. */
  async measureClock() {
    const conn = this.conn;
    if (!conn) return;
    let best = { offset: this.offset, rtt: Infinity };
    for (let i = 0; i < TIME_PROBES; i++) {
      const probe = await Promise.race([conn.time(),
        new Promise((resolve) => setTimeout(() => resolve(null), 3000))]);
      if (probe && /** @type {{rtt: number}} */ (probe).rtt < best.rtt) best = /** @type {any} */ (probe);
    }
    if (best.rtt < Infinity) this.offset = best.offset;
  }

  /** The local tracks changed (camera on or off): publish again, at most once a second. */
  republish() {
    clearTimeout(this.publishTimer);
    const wait = Math.max(0, 1100 - (Date.now() - this.lastPublish));
    this.publishTimer = setTimeout(() => {
      this.lastPublish = Date.now();
      if (this.conn && this.local?.getTracks().length) void this.conn.publish(this.local);
    }, wait);
  }

  /** The network went away: drop the socket now rather than wait for it to time out. */
  drop() { if (this.conn?.ws && !this.over) this.conn.ws.close(); }

  /** Tell everyone our own mute and camera state. @param {boolean} audio @param {boolean} video */
  setMute(audio, video) { this.conn?.setMute(audio, video); }

  /** Audio only saves the network, not just the screen. @param {boolean} video */
  setReceiveVideo(video) {
    this.receiveVideo = video;
    this.conn?.setReceive(video);
  }

  /** How big each tile is: a small one needs only the small picture. Sent once the layout has
   * been still for a moment (dragging a window's edge lays it out many times a second).
   * @param {Record<string, number>} heights */
  setTiles(heights) {
    if (JSON.stringify(heights) === JSON.stringify(this.tiles)) return;
    this.tiles = heights;
    clearTimeout(this.tilesTimer);
    this.tilesTimer = setTimeout(() => this.conn?.setTiles(this.tiles), TILES_SETTLE_MS);
  }

  /** A facilitation action. @param {string} kind @param {Record<string, unknown>} data */
  act(kind, data) { this.conn?.sendApp(kind, data); }

  leave() {
    this.over = true;
    clearInterval(this.timeTimer);
    this.conn?.leave();
    this.conn = null;
  }

  /** framesDecoded per person whose video this page receives (for checks and tests). */
  async framesDecoded() {
    /** @type {Record<string, number>} */
    const out = {};
    const conn = this.conn;
    if (!conn?.subscribePc) return out;
    (await conn.subscribePc.getStats()).forEach((s) => {
      const info = s.type === "inbound-rtp" && s.kind === "video" ? conn.streamOf(s.mid) : null;
      if (info) out[info.participant] = (out[info.participant] || 0) + (s.framesDecoded || 0);
    });
    return out;
  }
}
