// @ts-check
/**
 * What the programme routes give (app/programmes/schemas.py). Types only: pages import them in
 * JSDoc (`import("./programme-types.js").Programme`), so no page loads this file.
 *
 * @typedef {"foundation" | "core" | "specialty" | "sas" | "later_career" | "international"} Cohort
 * @typedef {{slots: string[], min_size: number, max_size: number, mix_specialties: boolean,
 *   mix_sites: boolean, separate_cohorts: boolean}} Rules
 * @typedef {Rules & {id: string, name: string, timezone: string}} Programme
 * @typedef {{id: string, display_name: string}} Staff
 * @typedef {{account_id: string, display_name: string, slots: string[], max_groups: number}}
 *   Facilitator
 * @typedef {{id: string, name: string, grade: string, specialty: string, site: string,
 *   cohort: Cohort, rotation_start: string, rotation_end: string, slots: string[],
 *   keep_apart: number, status: "imported" | "invited" | "left",
 *   placement_id: string | null}} Person
 * @typedef {{id: string, number: number, slot: string, cohort: Cohort | null,
 *   facilitator: string, confirmed: boolean, people: Person[]}} Placement
 * @typedef {{rules: Rules, placements: Placement[], unplaced: Person[], problems: string[],
 *   violations: string[]}} Allocation
 * @typedef {{row: number, column: string, problem: string}} RowProblem
 * @typedef {{number: number, slot: string, cohort: Cohort | null, members: number,
 *   sessions_held: number, attendances: number}} GroupFigures
 * @typedef {{people: number, invited: number, left: number, groups_running: number,
 *   sessions_held: number, attendances: number, groups: GroupFigures[],
 *   pulse: Record<"heard" | "again", PulseFigures>}} Figures
 * @typedef {{shown: boolean, answers: number | null, counts: Record<string, number> | null}} PulseFigures
 * @typedef {{left: number, invited: number, unplaced: string[]}} Changeover
 */

export {};
