// @ts-check
/**
 * The audit page's filters as a query string (no DOM): the same filters drive the list and
 * the exports.
 */

/**
 * @typedef {{action: string, outcome: string, actor: string, object: string,
 *   since: string, until: string}} Filters
 */

/**
 * The query string for these filters ("" when none); days are whole days in local time,
 * `until` inclusive.
 * @param {Filters} f
 * @param {Record<string, string>} [extra]
 */
export function queryOf(f, extra = {}) {
  const q = new URLSearchParams(extra);
  if (f.action) q.set("action", f.action);
  if (f.outcome) q.set("outcome", f.outcome);
  if (f.actor.trim()) q.set("actor_id", f.actor.trim());
  if (f.object.trim()) q.set("object_id", f.object.trim());
  if (f.since) q.set("since", new Date(`${f.since}T00:00:00`).toISOString());
  if (f.until) {
    const end = new Date(`${f.until}T00:00:00`);
    end.setDate(end.getDate() + 1);
    q.set("until", end.toISOString());
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

/** Whether an actor id looks like an id (a UUID), so a typo is caught before asking. */
export const isId = (/** @type {string} */ text) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text.trim());
