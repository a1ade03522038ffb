// @ts-check
/**
 * Types of the drop-in API (peer networks, drop-in rooms, visits): types only, no code.
 *
 * @typedef {{starts_at: string, ends_at: string}} Opening
 * @typedef {{id: string, name: string, description: string, timezone: string, open_now: boolean,
 *   current: Opening | null, next: Opening | null, hosted: boolean}} DropInRoom
 * @typedef {{account_id: string, display_name: string}} PeerHost
 * @typedef {{id: string, name: string, scope: "trust" | "regional", region: string, link: string,
 *   ground_rules: string, ground_rules_version: number, rooms: DropInRoom[], hosts: PeerHost[],
 *   hosting: boolean}} PeerNetwork
 * @typedef {{name: string, ground_rules: string, ground_rules_version: number,
 *   rooms: DropInRoom[]}} NetworkPublic
 * @typedef {{ticket: string, participant_id: string, status: "waiting"}} Knocked
 * @typedef {{participant_id: string, name: string}} Visitor
 * @typedef {{open: boolean, waiting: Visitor[], inside: Visitor[]}} DropInLobby
 */

export {};
