// @ts-check
/** Which group and session a page is about, for a doctor's device or a facilitator's account. */

import { ApiError, get } from "./api.js";

/**
 * @typedef {{group: import("./types.js").Group, session: {id: string, scheduled_start: string, title?: string,
 *   status: string} | null, name: string, facilitating: boolean}} Context
 */

/**
 * Find the group and its session for this device's membership or the signed-in account.
 * @param {string} groupId @param {string} sessionId either may be ""
 * @returns {Promise<Context | null>} null when neither gives access
 */
export async function load(groupId, sessionId) {
  /** @type {import("./types.js").Membership[]} */
  const mine = await get("/me/memberships").catch(() => []);
  const m = mine.find((x) => x.group.id === groupId || (sessionId && x.next_session?.id === sessionId));
  if (m) {
    return { group: m.group, session: m.next_session, name: m.display_name,
      facilitating: m.role !== "member" };
  }
  if (!sessionId) return null;
  /** @type {{display_name: string, role: string, group: import("./types.js").Group,
   *   session: import("./types.js").Session} | null} a session of this device's groups, ended too */
  const my = mine.length ? await get(`/me/sessions/${encodeURIComponent(sessionId)}`).catch(() => null) : null;
  if (my) return { group: my.group, session: my.session, name: my.display_name, facilitating: my.role !== "member" };
  try {
    /** @type {import("./types.js").Session} */
    const session = await get(`/sessions/${encodeURIComponent(sessionId)}`);
    /** @type {import("./types.js").Group} */
    const group = await get(`/groups/${session.group_id}`);
    /** @type {import("./types.js").Account} */
    const me = await get("/auth/me");
    return { group, session, name: me.display_name, facilitating: true };
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) return null;
    throw error;
  }
}

