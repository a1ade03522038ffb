// @ts-check
/**
 * The device check page, `/check?group=ID`: camera preview, microphone level, a test tone,
 * a choice of devices and of audio only. The choices are remembered for the room page.
 */

import { canChooseSpeakers, listDevices, playTone, watchLevel } from "./instruments.js";
import { MediaProblem, openMedia, stopMedia } from "./media.js";
import { devices } from "./store.js";
import { $, $as, busy, param, say } from "./ui.js";

/** Plain words for each problem, with what to do next. */
const PROBLEMS = {
  denied: "Your browser is not allowing Rounds to use your camera and microphone. Tap the "
    + "camera or lock symbol next to the web address, choose Allow, then press Try again. On an "
    + "iPhone: Settings, then Safari, then Camera and Microphone.",
  no_device: "No microphone was found. Plug in headphones with a microphone, or use another "
    + "device. You can still join and listen.",
  in_use: "Your camera or microphone is being used by another app (perhaps another video call). "
    + "Close it, then press Try again.",
  insecure: "This browser will not offer a camera or microphone here. Open Rounds in an up-to-date "
    + "Chrome, Edge, Firefox or Safari, at its https:// address.",
  unknown: "Your camera or microphone could not be started. Press Try again, or restart the browser.",
};

const CAMERA_PROBLEMS = {
  denied: "The camera is blocked, so you will join with audio only.",
  no_device: "No camera was found, so you will join with audio only.",
  in_use: "The camera is being used by another app, so you will join with audio only for now.",
  insecure: PROBLEMS.insecure,
  unknown: "The camera could not be started, so you will join with audio only.",
};

/** @type {MediaStream | null} */
let stream = null;
let stopLevel = () => {};
let heard = false;

const video = $as("preview", HTMLVideoElement);
const audioOnly = $as("audio-only", HTMLInputElement);
const selects = {
  videoinput: $as("camera", HTMLSelectElement),
  audioinput: $as("microphone", HTMLSelectElement),
  audiooutput: $as("speakers", HTMLSelectElement),
};

async function start() {
  stopLevel();
  stopMedia(stream);
  stream = null;
  say($("problem"), "");
  const choice = { ...devices.get(), audioOnly: audioOnly.checked };
  /** @type {MediaProblem | null} */
  let cameraProblem = null;
  try {
    ({ stream, cameraProblem } = await openMedia(choice));
  } catch (error) {
    $("devices").hidden = true;
    $("start").textContent = "Try again";
    const kind = error instanceof MediaProblem ? error.kind : "unknown";
    return say($("problem"), PROBLEMS[kind], "error");
  }
  $("devices").hidden = false;
  $("start").textContent = "Restart the check";
  showCamera(cameraProblem ? CAMERA_PROBLEMS[cameraProblem.kind] : "");
  await fillSelects();
  heard = false;
  $("mic-state").textContent = "Listening… say something.";
  const meter = $as("level", HTMLMeterElement);
  stopLevel = watchLevel(/** @type {MediaStream} */ (stream), (level) => {
    meter.value = level;
    if (!heard && level > 0.2) {
      heard = true;
      $("mic-state").textContent = "We can hear you: the bar moves when you speak.";
    }
  });
}

/** @param {string} cameraProblem */
function showCamera(cameraProblem) {
  const hasVideo = Boolean(stream?.getVideoTracks().length);
  video.hidden = !hasVideo;
  video.srcObject = hasVideo ? stream : null;
  $("camera-state").textContent = audioOnly.checked
    ? "Audio only: your camera stays off."
    : cameraProblem || "This is how the group will see you.";
  selects.videoinput.disabled = audioOnly.checked;
}

async function fillSelects() {
  const found = await listDevices();
  const current = {
    videoinput: stream?.getVideoTracks()[0]?.getSettings().deviceId,
    audioinput: stream?.getAudioTracks()[0]?.getSettings().deviceId,
    audiooutput: devices.get().audioOutput,
  };
  for (const kind of /** @type {const} */ (["videoinput", "audioinput", "audiooutput"])) {
    const select = selects[kind];
    select.replaceChildren(...found[kind].map((d, i) => new Option(
      d.label || `${kind === "videoinput" ? "Camera" : kind === "audioinput" ? "Microphone" : "Speakers"} ${i + 1}`,
      d.deviceId, false, d.deviceId === current[kind])));
    if (!found[kind].length) select.append(new Option("None found", "", true, true));
  }
  $("speaker-choice").hidden = !canChooseSpeakers() || found.audiooutput.length < 2;
}

function wire() {
  const group = param("group");
  const next = group ? `/lobby?group=${encodeURIComponent(group)}` : "/";
  $as("continue", HTMLAnchorElement).href = next;
  $as("skip", HTMLAnchorElement).href = next;
  audioOnly.checked = Boolean(devices.get().audioOnly);
  audioOnly.addEventListener("change", () => {
    devices.set({ audioOnly: audioOnly.checked });
    if (stream) void run();
  });
  selects.videoinput.addEventListener("change", () => { devices.set({ videoInput: selects.videoinput.value }); void run(); });
  selects.audioinput.addEventListener("change", () => { devices.set({ audioInput: selects.audioinput.value }); void run(); });
  selects.audiooutput.addEventListener("change", () => devices.set({ audioOutput: selects.audiooutput.value }));
  const startButton = $as("start", HTMLButtonElement);
  const run = () => busy(startButton, $("problem"), start);
  startButton.addEventListener("click", run);
  startButton.disabled = false;
  const tone = $as("tone", HTMLButtonElement);
  tone.addEventListener("click", () => busy(tone, $("tone-state"), async () => {
    $("tone-state").textContent = "Playing a chime…";
    await playTone(selects.audiooutput.value || undefined);
    $("tone-state").textContent = "Did you hear a chime? If not, turn up the volume or choose "
      + "other speakers or headphones.";
  }));
  addEventListener("pagehide", () => { stopLevel(); stopMedia(stream); });
}

wire();
