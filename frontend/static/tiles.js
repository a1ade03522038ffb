// @ts-check
/**
 * The grid of people in the room: one tile each, up to 12, laid out so every tile is as large
 * as the screen allows (three columns on a phone in portrait, four on a laptop for twelve).
 *
 * The SFU wiring calls `setTile` when a participant arrives or changes and `removeTile` when
 * they leave; everything a tile shows is also written as text (name, "Muted", "Speaking").
 */

import { t } from "./i18n.js";
import { devices } from "./store.js";
import { h } from "./ui.js";

/** @typedef {import("./room-types.js").TileView} TileView */

export const MAX_TILES = 12;
const ASPECT = 4 / 3;

/** @type {Map<string, HTMLLIElement>} */
const tiles = new Map();
/** @type {Map<string, TileView>} */
const views = new Map();
/** @type {HTMLElement | null} */
let grid = null;
let hideVideo = false;
let spotlight = false;
/** @type {(heights: Record<string, number>) => void} */
let tellSizes = () => undefined;

/** Attach the grid to its list element and keep it laid out. @param {HTMLElement} el */
export function mountGrid(el) {
  grid = el;
  new ResizeObserver(layout).observe(el);
}

/** Columns that make tiles of the given aspect largest in a w×h box. @param {number} n @param {number} w @param {number} h */
export function bestColumns(n, w, h) {
  let best = 1, size = 0;
  for (let cols = 1; cols <= Math.max(1, n); cols++) {
    const rows = Math.ceil(n / cols);
    const tileW = Math.min(w / cols, (h / rows) * ASPECT);
    if (tileW > size + 0.5) { best = cols; size = tileW; }
  }
  return best;
}

/**
 * Spotlight: the person with the floor (set by the round, not by voice) takes a 2×2 cell
 * when there is room for it. @param {string} kind the phase's layout
 */
export function setLayout(kind) {
  spotlight = kind === "spotlight";
  if (grid) grid.dataset.layout = kind;
  layout();
}

function layout() {
  if (!grid) return;
  const floor = [...views.values()].some((v) => v.hasFloor);
  const big = spotlight && floor && tiles.size >= 3;
  const n = Math.max(1, tiles.size + (big ? 3 : 0));
  const cols = bestColumns(n, grid.clientWidth, grid.clientHeight);
  grid.dataset.span = String(big && cols >= 2);
  grid.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
  grid.style.gridTemplateRows = `repeat(${Math.ceil(n / cols)}, minmax(0, 1fr))`;
  grid.dataset.count = String(tiles.size);
  /** @type {Record<string, number>} */
  const heights = {};
  const density = Math.min(devicePixelRatio || 1, 2);
  for (const [id, tile] of tiles) if (!views.get(id)?.you) heights[id] = Math.round(tile.clientHeight * density);
  tellSizes(heights);
}

/** Be told each other tile's height (in device pixels, at most two per CSS pixel) after every
 * layout: the server sends a small tile the small picture. @param {(heights: Record<string, number>) => void} tell */
export function onTileSizes(tell) {
  tellSizes = tell;
  layout();
}

/** Play others' audio on the speakers chosen in the device check, where the browser allows. */
async function useSpeakers(/** @type {HTMLVideoElement} */ video) {
  const sinkId = devices.get().audioOutput;
  if (sinkId && "setSinkId" in video) await video.setSinkId(sinkId).catch(() => undefined);
}

/** @param {string} name */
function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}

/** Add a tile (with a name) or update one. @param {Partial<TileView> & {id: string}} change */
export function setTile(change) {
  if (!grid) throw new Error("mountGrid first");
  const before = views.get(change.id);
  if (!before && change.name === undefined) return;
  /** @type {TileView} */
  const view = { name: "", ...before, ...change };
  let tile = tiles.get(view.id);
  if (!tile) {
    if (tiles.size >= MAX_TILES) return;
    const video = h("video", { autoplay: true, playsInline: true, muted: Boolean(view.you) });
    video.setAttribute("aria-hidden", "true");
    tile = h("li", { className: "tile", "data-id": view.id },
      video,
      h("div", { className: "initials", "aria-hidden": "true" }),
      h("p", { className: "badges" }),
      h("p", { className: "label" }, h("span", { className: "name" })));
    tiles.set(view.id, tile);
    views.set(view.id, view);
    if (view.you) grid.prepend(tile); else grid.append(tile);
    layout();
  }
  views.set(view.id, view);
  const video = /** @type {HTMLVideoElement} */ (tile.querySelector("video"));
  if (view.stream !== undefined && video.srcObject !== view.stream) {
    video.srcObject = view.stream;
    if (!view.you) void useSpeakers(video);
    // Sound may not start without a tap (phones): play muted and offer "Turn sound on".
    if (!view.you && view.stream) void video.play().catch(() => {
      video.muted = true;
      void video.play().catch(() => undefined);
      dispatchEvent(new Event("rounds:autoplay-blocked"));
    });
  }
  const showVideo = Boolean(video.srcObject) && !view.cameraOff && !view.paused && !(hideVideo && !view.you)
    && (/** @type {MediaStream | null} */ (video.srcObject)?.getVideoTracks().length ?? 0) > 0;
  video.hidden = !showVideo;
  /** @type {HTMLElement} */ (tile.querySelector(".initials")).textContent = showVideo ? "" : initials(view.name);
  /** @type {HTMLElement} */ (tile.querySelector(".name")).textContent = view.you ? t("tile.you", { name: view.name }) : view.name;
  const badges = [view.hasFloor && "floor", view.aside && "aside", view.hand && "hand",
    view.speaking && "speaking", view.forcedMute ? "forcedMute" : view.muted && "muted",
    view.cameraOff && "cameraOff", view.away && "away", view.paused && (view.busy ? "pausedBusy" : "paused"),
    view.reduced && !view.paused && (view.busy ? "reducedBusy" : "reduced"), view.weak && "weak"].filter(Boolean);
  /** @type {HTMLElement} */ (tile.querySelector(".badges")).replaceChildren(
    ...badges.map((b) => h("span", { className: "badge" }, t(`tile.${b}`))));
  tile.dataset.speaking = String(Boolean(view.speaking));
  const floorChanged = tile.dataset.floor !== String(Boolean(view.hasFloor));
  tile.dataset.floor = String(Boolean(view.hasFloor));
  tile.dataset.aside = String(Boolean(view.aside));
  if (floorChanged) layout();
  tile.dataset.you = String(Boolean(view.you));
  // the dot is about your link: none for video the server sheds because it is busy
  tile.dataset.link = view.busy && (view.paused || view.reduced) ? "busy"
    : view.paused ? "paused" : view.reduced || view.weak ? "weak" : "good";
}

/** @param {string} id */
export function removeTile(id) {
  tiles.get(id)?.remove();
  tiles.delete(id);
  views.delete(id);
  layout();
}

/** Audio only: stop showing others' video (the SFU wiring also stops receiving it). @param {boolean} on */
export function setHideVideo(on) {
  hideVideo = on;
  for (const view of views.values()) setTile(view);
}

export const tileCount = () => tiles.size;

/** The ids of the tiles shown now. */
export const tileIds = () => [...tiles.keys()];
