// @ts-check
/**
 * The device check page, `/check?group=ID`: camera preview, microphone level, a test tone,
 * a choice of devices and of audio only. The choices are remembered for the room page.
 */

import { canChooseSpeakers, listDevices, playTone, watchLevel } from "./instruments.js";
import { MediaProblem, openMedia, stopMedia } from "./media.js";
import { ready, t } from "./i18n.js";
import { mountLanguages } from "./languages.js";
import { devices } from "./store.js";
import { $, $as, busy, param, say } from "./ui.js";

// Plain words for each problem, with what to do next: `check.problem.KIND` (nothing works)
// and `check.camera.KIND` (the microphone works, the camera does not).

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
    $("start").textContent = t("check.tryAgain");
    const kind = error instanceof MediaProblem ? error.kind : "unknown";
    return say($("problem"), t(`check.problem.${kind}`), "error");
  }
  $("devices").hidden = false;
  $("start").textContent = t("check.restart");
  showCamera(cameraProblem ? t(`check.camera.${cameraProblem.kind}`) : "");
  await fillSelects();
  heard = false;
  $("mic-state").textContent = t("check.listening");
  const meter = $as("level", HTMLMeterElement);
  stopLevel = watchLevel(/** @type {MediaStream} */ (stream), (level) => {
    meter.value = level;
    if (!heard && level > 0.2) {
      heard = true;
      $("mic-state").textContent = t("check.heard");
    }
  });
}

/** @param {string} cameraProblem */
function showCamera(cameraProblem) {
  const hasVideo = Boolean(stream?.getVideoTracks().length);
  video.hidden = !hasVideo;
  video.srcObject = hasVideo ? stream : null;
  $("camera-state").textContent = audioOnly.checked ? t("check.audioOnly")
    : cameraProblem || t("check.preview");
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
      d.label || t(`check.device.${kind}`, { n: i + 1 }),
      d.deviceId, false, d.deviceId === current[kind])));
    if (!found[kind].length) select.append(new Option(t("check.noneFound"), "", true, true));
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
    $("tone-state").textContent = t("check.playing");
    await playTone(selects.audiooutput.value || undefined);
    $("tone-state").textContent = t("check.played");
  }));
  addEventListener("pagehide", () => { stopLevel(); stopMedia(stream); });
}

await ready("common", "pages");
mountLanguages();
wire();
