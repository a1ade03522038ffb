// @ts-check
/**
 * The server's facilitation events, as app/facilitation/messages.py defines them (checked by
 * tests/facilitation/test_protocol_doc.py: same names, same fields). Types only: pages import
 * them in JSDoc (`import("./events.js").LiveState`), so the browser never loads this file.
 *
 * @typedef {{deadline: number | null, paused: boolean, remaining: number | null,
 *   overrun: number, allotted: number | null}} ClockView
 * @typedef {{participant_id: string, status: string, passes: number, connected: boolean}} TurnView
 * @typedef {ClockView & {index: number, status: string, kind: string, title: string,
 *   prompt: string, floor: string, hold_floor: boolean, layout: string,
 *   presenter: string | null}} PhaseView
 * @typedef {ClockView & {status: string, current: string | null, speaker: string | null,
 *   up_next: string | null, turn_length: number, turns: TurnView[],
 *   grace_deadline: number | null}} RoundView
 * @typedef {{raised: string[], floor: string | null, by_time: boolean}} HandsView
 * @typedef {{participant_id: string, name: string | null}} Waiting
 * @typedef {{title: string, kind: string, duration: number, started: boolean}} PlannedPhase
 * @typedef {{version: number, server_time: number, controller: string | null,
 *   lead: string | null, locked: boolean, muted: string[], audible: string[],
 *   phases: PlannedPhase[], template: string | null, phases_status: string | null,
 *   phase: PhaseView | null, round: RoundView | null, facilitators_take_turns: boolean,
 *   hands: HandsView, names: Record<string, string>, pairs: PairsView | null,
 *   chat: boolean, moment: boolean, lobby?: Waiting[], weak_links?: string[],
 *   moments?: string[]}} LiveState
 * @typedef {ClockView & {status: string, groups: string[][], visitors: Record<string, number>,
 *   mine: number | null}} PairsView
 * @typedef {{about: "turn", event: string, participant_id?: string, status?: string,
 *   warning?: string, seconds?: number}} TurnNotice
 * @typedef {{about: "phase", action: string, index: number, title?: string}} PhaseNotice
 * @typedef {{about: "phase_warning", warning: string, seconds: number}} PhaseWarning
 * @typedef {{about: "round", action: "setup"}} RoundNotice
 * @typedef {{about: "controls", holder: string}} ControlsNotice
 * @typedef {{about: "room", action: "lock" | "unlock"}} RoomNotice
 * @typedef {{about: "pairs", event: string, group?: number, participant_id?: string}} PairsNotice
 * @typedef {TurnNotice | PhaseNotice | PhaseWarning | RoundNotice | ControlsNotice |
 *   RoomNotice | PairsNotice} Notice
 * @typedef {{seconds: Record<string, number>}} TalkTime
 * @typedef {{action: "moment" | "message" | "reply", sender: string, text: string | null,
 *   on: boolean | null}} Word
 * @typedef {{sender: string, text: string, at: number}} Chat
 */

export {};
