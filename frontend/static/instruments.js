// @ts-check
/**
 * The device check's instruments: list the devices, measure the microphone, play a test tone,
 * and whether speakers can be chosen. No DOM elements; nothing recorded or sent anywhere. The
 * room page does not load this module (its budget: tests/frontend/test_budget.py).
 */

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
