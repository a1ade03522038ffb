// @ts-check
/**
 * A group's sessions: schedule one, open its lobby, let people in, go live, end it, enter its room;
 * change one session (an occurrence of a series becomes its own) or cancel it with a reason that
 * its members see.
 */

import { t } from "./i18n.js";
import { get, patch, post } from "./api.js";
import { dateInput, fromInputs, sessionStatus, when } from "./format.js";
import { watchLobby } from "./group-lobby.js";
import { $, $as, busy, h, say } from "./ui.js";

/** @typedef {import("./schedule-types.js").ScheduledSession} Session */

/** What the first moves do, said under their buttons: keys. @type {Record<string, string>} */
const EXPLAIN = { open: "sessions.explainOpen", live: "sessions.explainLive" };

/** The moves a facilitator can make from each status: [key of its label, next status]. */
const MOVES = {
  scheduled: [["sessions.moveOpen", "open"], ["sessions.moveLive", "live"]],
  open: [["sessions.moveLive", "live"], ["sessions.moveEnd", "ended"]],
  live: [["sessions.moveEnd", "ended"]],
  ended: [],
};

/**
 * @param {import("./types.js").Group} group
 * @returns {Promise<() => Promise<void>>} reloads the list (after a series changes)
 */
export async function mountSessions(group) {
  const out = $("session-status");
  const reload = async () => {
    /** @type {Session[]} */
    const sessions = await get(`/groups/${group.id}/sessions`);
    const recent = sessions.filter((s) => s.status !== "ended"
      || Date.now() - new Date(s.scheduled_start).getTime() < 7 * 86400000);
    $("session-list").replaceChildren(...recent.map((s) => row(s, reload)));
    if (!recent.length) $("session-list").append(h("li", { className: "row" }, t("groupSessions.noSessionsScheduled")));
  };

  /** @param {Session} s @param {() => Promise<void>} again */
  function row(s, again) {
    const label = when(s.scheduled_start, group.timezone) + (s.title ? ", " + s.title : "");
    const buttons = MOVES[s.status].map(([key, status]) => {
      const text = t(key);
      const b = h("button", { type: "button", className: status === "ended" ? "danger" : "secondary" },
        text, h("span", { className: "visually-hidden" }, `: ${label}`));
      b.addEventListener("click", () => busy(b, out, async () => {
        if (status === "ended" && !confirm(`${text}: ${label}?`)) return;
        await patch(`/sessions/${s.id}`, { status });
        say(out, `${sessionStatus(status)}: ${label}.`, "ok");
        await again();
      }));
      return b;
    });
    const enter = s.status !== "ended" && !group.archived_at
      ? h("a", { className: "button", href: `/lobby?session=${s.id}` }, t("groupSessions.enterTheRoom"),
        h("span", { className: "visually-hidden" }, `: ${label}`)) : "";
    let lobby = null;
    if (s.status === "open" || s.status === "live") {
      const list = h("ul", { className: "plain", "aria-live": "polite" });
      lobby = h("div", { className: "lobby" }, h("h4", {}, t("groupSessions.inTheLobby")), list);
      watchLobby(s.id, list, out);
    }
    const changes = s.status === "scheduled" && !group.archived_at ? changeForm(s, label, again) : null;
    const cancelled = s.cancel_reason
      ? h("p", { className: "muted" }, t("sessions.cancelledBecause", { reason: s.cancel_reason })) : null;
    const explained = MOVES[s.status].map(([, status]) => EXPLAIN[status]).filter(Boolean).map((key) => t(key));
    const hint = explained.length && !group.archived_at
      ? h("p", { className: "muted hint", id: `moves-${s.id}` }, explained.join(" ")) : null;
    if (hint) for (const b of buttons) b.setAttribute("aria-describedby", hint.id);
    return h("li", { className: "row" },
      h("div", {}, h("strong", {}, label), " ",
        h("span", { className: "tag", "data-state": s.status },
          s.cancel_reason ? t("groupSessions.cancelled") : sessionStatus(s.status)),
        h("div", { className: "muted" }, t(!s.series_id ? "sessions.length"
          : s.detached ? "sessions.lengthDetached" : "sessions.lengthSeries", { count: s.duration_minutes })), cancelled),
      h("div", {}, h("div", { className: "actions" }, ...buttons, enter), hint, changes), lobby);
  }

  /**
   * Change one session's time or length, or cancel it with a reason its members see.
   * @param {Session} s @param {string} label @param {() => Promise<void>} again
   */
  function changeForm(s, label, again) {
    const local = new Intl.DateTimeFormat("en-CA", { timeZone: group.timezone, year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(s.scheduled_start));
    const part = (/** @type {string} */ type) => local.find((p) => p.type === type)?.value || "";
    const id = (/** @type {string} */ name) => `${name}-${s.id}`;
    const date = h("input", { id: id("c-date"), type: "date", value: `${part("year")}-${part("month")}-${part("day")}` });
    const time = h("input", { id: id("c-time"), type: "time", value: `${part("hour")}:${part("minute")}` });
    const length = h("input", { id: id("c-length"), type: "number", min: 5, max: 480,
      value: String(s.duration_minutes), inputMode: "numeric" });
    const save = h("button", { type: "button", className: "secondary" }, t("groupSessions.saveThisSession"));
    const reason = h("input", { id: id("c-reason"), maxLength: 200 });
    const cancel = h("button", { type: "button", className: "danger" }, t("groupSessions.cancelThisSession"));
    save.addEventListener("click", () => busy(save, out, async () => {
      await patch(`/sessions/${s.id}`, { scheduled_start: zoned(date.value, time.value),
        duration_minutes: Number(length.value || s.duration_minutes) });
      say(out, t("sessions.changed", { label }), "ok");
      await again();
    }));
    cancel.addEventListener("click", () => busy(cancel, out, async () => {
      if (!reason.value.trim()) {
        reason.focus();
        return say(out, t("groupSessions.sayWhyTheSession"), "error");
      }
      await post(`/sessions/${s.id}/cancel`, { reason: reason.value.trim() });
      say(out, t("sessions.cancelled", { label }), "ok");
      await again();
    }));
    return h("details", { className: "change" },
      h("summary", {}, t("groupSessions.changeOrCancel"), h("span", { className: "visually-hidden" }, `: ${label}`)),
      h("label", { for: date.id }, t("groupSessions.date")), date, h("label", { for: time.id }, t("groupSessions.startTime")), time,
      h("label", { for: length.id }, t("groupSessions.lengthInMinutes")), length,
      h("div", { className: "actions" }, save),
      h("label", { for: reason.id }, t("groupSessions.whyItIsCancelled"),
        h("span", { className: "hint" }, t("groupSessions.membersSeeThisOn"))),
      reason, h("div", { className: "actions" }, cancel));
  }

  /**
   * A date and time in the group's time zone as an ISO instant (found by correcting the
   * browser's guess by the zone's offset at that moment).
   * @param {string} day @param {string} hhmm
   */
  function zoned(day, hhmm) {
    const guess = new Date(`${day}T${hhmm}:00Z`);
    const seen = new Intl.DateTimeFormat("en-CA", { timeZone: group.timezone, year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(guess);
    const num = (/** @type {string} */ t) => Number(seen.find((p) => p.type === t)?.value);
    const shown = Date.UTC(num("year"), num("month") - 1, num("day"), num("hour"), num("minute"));
    return new Date(guess.getTime() - (shown - guess.getTime())).toISOString();
  }

  /** The group's default plan, and the way to its templates. */
  async function showPlan() {
    $as("templates-link", HTMLAnchorElement).href = `/templates?group=${encodeURIComponent(group.id)}`;
    /** @type {{name: string, duration: number, default: boolean}[]} */
    const templates = await get(`/groups/${group.id}/templates`);
    const chosen = templates.find((t) => t.default);
    $("default-plan-text").textContent = chosen
      ? t("sessions.defaultPlan", { name: chosen.name, count: Math.round(chosen.duration / 60) })
      : t("groupSessions.noDefaultPlanWhen");
  }

  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  $("tz-note").textContent = t("sessions.timeZone", { zone });
  const date = $as("s-date", HTMLInputElement);
  date.value = dateInput(new Date(Date.now() + 86400000).toISOString());
  const form = $as("session-form", HTMLFormElement);
  const button = $as("session-submit", HTMLButtonElement);
  button.disabled = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const time = $as("s-time", HTMLInputElement).value;
    if (!date.value || !time) {
      say(out, t("groupSessions.chooseADateAnd"), "error");
      return;
    }
    void busy(button, out, async () => {
      /** @type {Session} */
      const s = await post(`/groups/${group.id}/sessions`, {
        scheduled_start: fromInputs(date.value, time),
        duration_minutes: Number($as("s-duration", HTMLInputElement).value || 90),
        title: $as("s-title", HTMLInputElement).value.trim() });
      say(out, t("sessions.scheduled", { when: when(s.scheduled_start, group.timezone) }), "ok");
      await reload();
    });
  });
  await Promise.all([reload(), showPlan()]);
  return reload;
}
