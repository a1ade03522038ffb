// @ts-check
/**
 * The local camera, microphone and speakers: open them, list them, measure the microphone,
 * play a test tone. No DOM elements here; the device check and the room page build on it.
 * Nothing is recorded or sent anywhere by this module.
 */

/** @typedef {import("./store.js").DeviceChoice} DeviceChoice */
/**
 * Why the camera or microphone could not be used:
 * `denied` (the person or the browser said no), `no_device`, `in_use` (another app has it),
 * `insecure` (not served over HTTPS, so the browser offers no media at all), `unknown`.
 * @typedef {"denied" | "no_device" | "in_use" | "insecure" | "unknown"} MediaProblemKind
 */

export class MediaProblem extends Error {
  /** @param {MediaProblemKind} kind @param {"camera" | "microphone" | "both"} what @param {string} [cause] */
  constructor(kind, what, cause = "") {
    super(`${kind} (${what}) ${cause}`.trim());
    this.name = "MediaProblem";
    this.kind = kind;
    this.what = what;
  }
}

/** @param {unknown} error @param {"camera" | "microphone" | "both"} what */
function problem(error, what) {
  const name = error instanceof Error ? error.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") return new MediaProblem("denied", what, name);
  if (name === "NotFoundError" || name === "OverconstrainedError") return new MediaProblem("no_device", what, name);
  if (name === "NotReadableError" || name === "AbortError") return new MediaProblem("in_use", what, name);
  return new MediaProblem("unknown", what, name);
}

/**
 * Open the microphone and (unless audio only) the camera. A missing or refused camera falls
 * back to audio alone and says so in `cameraProblem`; a microphone problem is thrown.
 * @param {DeviceChoice} choice
 * @returns {Promise<{stream: MediaStream, cameraProblem: MediaProblem | null}>}
 */
export async function openMedia(choice = {}) {
  if (!navigator.mediaDevices?.getUserMedia) throw new MediaProblem("insecure", "both");
  // `ideal`, not `exact`: a remembered device that has been unplugged falls back to the default.
  const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true,
    ...(choice.audioInput ? { deviceId: { ideal: choice.audioInput } } : {}) };
  if (!choice.audioOnly) {
    try {
      // Modest for phones and hospital networks: 640×360 at up to 15 frames a second.
      const video = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15, max: 15 },
        ...(choice.videoInput ? { deviceId: { ideal: choice.videoInput } } : { facingMode: "user" }) };
      return { stream: await navigator.mediaDevices.getUserMedia({ audio, video }), cameraProblem: null };
    } catch (error) {
      const both = problem(error, "both");
      if (both.kind === "denied") throw both;
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ audio });
        return { stream, cameraProblem: problem(error, "camera") };
      } catch (audioError) {
        throw problem(audioError, "microphone");
      }
    }
  }
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ audio }), cameraProblem: null };
  } catch (error) {
    throw problem(error, "microphone");
  }
}

/** Stop every track of a stream (the camera light goes off). @param {MediaStream | null} stream */
export function stopMedia(stream) {
  for (const track of stream?.getTracks() || []) track.stop();
}

/**
 * The devices this browser offers, by kind. Labels are empty until permission is given.
 * @returns {Promise<Record<"audioinput" | "videoinput" | "audiooutput", MediaDeviceInfo[]>>}
 */
export async function listDevices() {
  /** @type {Record<"audioinput" | "videoinput" | "audiooutput", MediaDeviceInfo[]>} */
  const kinds = { audioinput: [], videoinput: [], audiooutput: [] };
  if (!navigator.mediaDevices?.enumerateDevices) return kinds;
  for (const device of await navigator.mediaDevices.enumerateDevices()) {
    if (device.deviceId && device.kind in kinds) kinds[device.kind].push(device);
  }
  return kinds;
}

/** @type {AudioContext | null} */
let context = null;

/** One AudioContext for the page, created on a user gesture. */
export function audioContext() {
  context ||= new AudioContext();
  if (context.state === "suspended") void context.resume();
  return context;
}

/**
 * Measure the microphone: calls `onLevel` about ten times a second with a level from 0 to 1.
 * Returns a function that stops measuring.
 * @param {MediaStream} stream @param {(level: number) => void} onLevel
 */
export function watchLevel(stream, onLevel) {
  const ctx = audioContext();
  const source = ctx.createMediaStreamSource(stream);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const rms = Math.sqrt(sum / samples.length);
    // Speech sits around 0.02–0.2 RMS; a square-root curve makes quiet voices visible.
    onLevel(Math.min(1, Math.sqrt(rms * 5)));
  }, 100);
  return () => { clearInterval(timer); source.disconnect(); };
}

/**
 * Play a short, soft two-note chime (generated here, no sound file), on the chosen speakers
 * where the browser allows choosing them. Resolves when it has finished.
 * @param {string} [sinkId]
 */
export async function playTone(sinkId) {
  const ctx = audioContext();
  const sinkable = /** @type {AudioContext & {setSinkId?: (id: string) => Promise<void>}} */ (ctx);
  if (sinkId && sinkable.setSinkId) await sinkable.setSinkId(sinkId).catch(() => undefined);
  const start = ctx.currentTime + 0.05;
  for (const [i, freq] of [523.25, 659.25].entries()) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    const t = start + i * 0.35;
    gain.gain.setValueAtTime(0, t);
    gain.gain.linearRampToValueAtTime(0.25, t + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.001, t + 0.6);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + 0.65);
  }
  await new Promise((resolve) => setTimeout(resolve, 1100));
}

/** Whether speakers can be chosen in this browser (Chrome, Edge; not Safari or Firefox on iOS). */
export function canChooseSpeakers() {
  return typeof AudioContext !== "undefined" && "setSinkId" in AudioContext.prototype;
}

/**
 * HOOK (connectivity/TURN check, not built yet): try the service's ICE servers from this network
 * and report whether media can flow over UDP, over TURN/TCP, or not at all. Hospital networks
 * often block UDP. It needs the ICE servers, which come with a join grant
 * (`POST /sessions/{id}/join` → `ice_servers`), and the SFU's signalling to test against.
 * @param {import("./types.js").IceServer[]} _iceServers
 * @returns {Promise<{status: "not_checked" | "udp" | "turn" | "blocked"}>}
 */
export async function checkConnectivity(_iceServers) {
  return { status: "not_checked" };
}
