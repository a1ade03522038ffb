// @ts-check
/**
 * The local camera and microphone: open and stop them, and why they could not be opened.
 * No DOM elements here; the device check and the room page build on it (the check's own
 * instruments, which the room does not load, are in instruments.js). Nothing is recorded or
 * sent anywhere by this module.
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
