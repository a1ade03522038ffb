// @ts-check
/**
 * What the schedule adds to groups and sessions (app/groups/schemas.py, app/sessions/schemas.py,
 * app/series/schemas.py). Types only, like account-types.js: pages import them in JSDoc, so no
 * page loads this file and the room page's budget is untouched.
 *
 * @typedef {import("./types.js").Group & {join_window_minutes: number, late_after_minutes: number,
 *   late_join: "next_phase" | "lock"}} ScheduledGroup
 * @typedef {import("./types.js").Session & {series_id: string | null, detached: boolean,
 *   cancel_reason: string | null}} ScheduledSession
 * @typedef {import("./types.js").Membership & {cancelled: ScheduledSession[]}} ScheduledMembership
 */

export {};
