// @ts-check
/**
 * Types of the near-peer pairing API: types only, no code.
 *
 * @typedef {{seniors_waiting: number, juniors_waiting: number, pairs_active: number,
 *   pairs_ended: number}} PairCounts
 * @typedef {{id: string, seniority: "senior" | "junior", name: string, email: string,
 *   specialty: string, site: string, department: string, since: string}} PairingPerson
 * @typedef {{id: string, name: string, lead_id: string | null, link: string,
 *   prefer_same_specialty: boolean, prefer_same_site: boolean, counts: PairCounts}} PairingScheme
 * @typedef {PairingScheme & {waiting: PairingPerson[]}} PairingSchemeDetail
 * @typedef {{senior: PairingPerson, junior: PairingPerson, same_specialty: boolean,
 *   same_site: boolean}} PairProposal
 * @typedef {{name: string, specialty: string, site: string}} Partner
 * @typedef {{name: string, seniority: "senior" | "junior", scheme: string,
 *   status: "waiting" | "paired", partner: Partner | null,
 *   next_meeting: {starts_at: string, minutes: number} | null}} MyPairing
 */

export {};
