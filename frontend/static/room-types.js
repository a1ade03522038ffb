// @ts-check
/**
 * The room page's own types (roomlink.js, tiles.js, roundview.js). Types only, like
 * schedule-types.js: the modules name them in JSDoc, so no page loads this file and the room
 * page's budget is untouched.
 *
 * @typedef {{id: string, name: string, role: string, audio_muted: boolean, video_muted: boolean,
 *   forced_mute: boolean, connected: boolean, paused?: boolean, reduced?: boolean,
 *   busy?: boolean}} Peer
 * @typedef {"connecting" | "connected" | "reconnecting" | "closed"} LinkState
 * @typedef {"connecting" | "connected" | "reconnecting" | "offline" | "closed"} ConnectionState
 * @typedef {{
 *   peers: (peers: Map<string, Peer>) => void,
 *   media: (streams: Map<string, MediaStream>) => void,
 *   state: (state: LinkState) => void,
 *   event: (kind: string, data: any) => void,
 *   refused: (code: string, detail: string) => void,
 *   final: (code: string, detail: string) => void,  // the close code, or the API error's code
 * }} LinkHooks
 * @typedef {{id: string, name: string, you?: boolean, stream?: MediaStream | null,
 *   muted?: boolean, cameraOff?: boolean, speaking?: boolean, hasFloor?: boolean,
 *   away?: boolean, aside?: boolean, hand?: boolean, forcedMute?: boolean, paused?: boolean,
 *   reduced?: boolean, busy?: boolean, weak?: boolean}} TileView
 * @typedef {{me: string, nameOf: (id: string) => string, serverNow: () => number}} Viewer
 * @typedef {{layout: string, floor: string | null, aside: string | null, raised: string[],
 *   muted: string[]}} Stage
 */

export {};
