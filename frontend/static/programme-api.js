// @ts-check
/**
 * A programme's routes, and what the lead's pages share (no DOM): the programme in the page's
 * address, cohorts and slots in words, and the CSV import, whose refusal carries every bad row.
 */

import { API, ApiError, cookie } from "./api.js";

/** @typedef {import("./programme-types.js").RowProblem} RowProblem */

/** The API path of a programme. @param {string} id */
export const base = (id) => `/programmes/${encodeURIComponent(id)}`;

/** @type {Record<string, string>} */
const COHORTS = {
  foundation: "Foundation doctors", core: "Core trainees", specialty: "Specialty trainees",
  sas: "SAS doctors", later_career: "Later-career doctors",
  international: "International medical graduates",
};

/** A cohort in words. @param {string | null} cohort */
export const cohortName = (cohort) => (cohort ? COHORTS[cohort] || cohort : "Mixed cohorts");

const DAYS = /** @type {Record<string, string>} */ ({
  MO: "Monday", TU: "Tuesday", WE: "Wednesday", TH: "Thursday", FR: "Friday", SA: "Saturday",
  SU: "Sunday" });

/** `TU 12:30` as `Tuesday 12:30`. @param {string} slot */
export const slotName = (slot) => `${DAYS[slot.slice(0, 2)] || slot.slice(0, 2)} ${slot.slice(3)}`;

/** Slots as typed by a lead: `TU 12:30, we 13:00` → `["TU 12:30", "WE 13:00"]`. @param {string} text */
export function parseSlots(text) {
  return text.split(/[,;\n]/).map((s) => s.trim().toUpperCase().replace(/\s+/, " ")).filter(Boolean);
}

/** An import refused for its rows: nothing was imported; `rows` says where and why. */
export class RowsInvalid extends ApiError {
  /** @param {string} detail @param {RowProblem[]} rows */
  constructor(detail, rows) {
    super(422, "csv_rows_invalid", detail);
    this.rows = rows;
  }
}

/**
 * Import a CSV's people, all or none. Resolves with how many; rejects with RowsInvalid (every
 * bad row) or ApiError.
 * @param {string} id @param {string} csv @returns {Promise<number>}
 */
export async function importCsv(id, csv) {
  let response;
  try {
    response = await fetch(`${API}${base(id)}/import`, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { accept: "application/json", "content-type": "application/json",
        "x-csrf-token": cookie("rounds_csrf") },
      body: JSON.stringify({ csv }),
    });
  } catch {
    throw new ApiError(0, "network", "The connection failed. Check your network and try again.");
  }
  const data = await response.json().catch(() => null);
  if (response.ok) return data.imported;
  if (data && data.error === "csv_rows_invalid") throw new RowsInvalid(data.detail, data.rows);
  throw new ApiError(response.status, data?.error || `http_${response.status}`,
    data?.detail || response.statusText);
}
