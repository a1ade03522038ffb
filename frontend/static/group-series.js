// @ts-check
/**
 * A group's series, on its page: start one with a rule said in plain words ("Every other
 * Tuesday at 12:30 for 60 minutes, from … until …, skipping …"), edit the whole series, stop it.
 * One occurrence is changed or cancelled in the list of sessions (group-sessions.js).
 */

import { locale, t } from "./i18n.js";
import { get, post, put, request } from "./api.js";
import { $, $as, busy, h, say } from "./ui.js";

/**
 * @typedef {{id: string, group_id: string, title: string, rule: string, first_start: string,
 *   timezone: string, duration_minutes: number, skipped: string[], sequence: number,
 *   ended_at: string | null, description: string}} Series
 * @typedef {{frequency: "weekly" | "fortnightly" | "monthly", weekday: string,
 *   week_of_month?: number, start_date: string, start_time: string, duration_minutes: number,
 *   until?: string, count?: number, skip: string[], title: string}} SeriesRule
 */

// The words of a rule are `series.*` keys: `series.day.MO`, `series.ordinal.1` (… `-1`: last).

/** "6 October 2026" for "2026-10-06". @param {string} isoDate */
export function longDate(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: "long", year: "numeric",
    timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** The rule in plain words, as the server says it. @param {SeriesRule} r */
export function words(r) {
  const day = t(`series.day.${r.weekday}`);
  const every = t(`series.${r.frequency}`, { day,
    ordinal: t(`series.ordinal.${String(r.week_of_month ?? 1)}`) });
  let text = t("series.atFor", { every, time: r.start_time, count: r.duration_minutes });
  if (r.start_date) text += t("series.from", { date: longDate(r.start_date) });
  if (r.until) text += t("series.until", { date: longDate(r.until) });
  if (r.count) text += t("series.count", { count: r.count });
  if (r.skip.length) text += t("series.skipping", { dates: [...r.skip].sort().map(longDate).join(", ") });
  return text;
}

/** @param {import("./types.js").Group} group @param {() => Promise<void>} changed */
export async function mountSeries(group, changed) {
  const out = $("series-status");
  const form = $as("series-form", HTMLFormElement);
  const submit = $as("series-submit", HTMLButtonElement);
  const cancelEdit = $as("series-cancel-edit", HTMLButtonElement);
  const input = (/** @type {string} */ id) => $as(id, HTMLInputElement);
  const select = (/** @type {string} */ id) => $as(id, HTMLSelectElement);
  /** @type {string[]} */
  let skip = [];
  /** @type {Series | null} */
  let editing = null;
  $("series-tz").textContent = t("series.timeZone", { zone: group.timezone });

  /** @returns {SeriesRule} */
  const rule = () => {
    const frequency = /** @type {SeriesRule["frequency"]} */ (select("r-frequency").value);
    const until = input("r-until").value, count = Number(input("r-count").value || 0);
    return {
      frequency, weekday: select("r-weekday").value,
      ...(frequency === "monthly" ? { week_of_month: Number(select("r-week").value) } : {}),
      start_date: input("r-start").value, start_time: input("r-time").value,
      duration_minutes: Number(input("r-duration").value || 60),
      ...(until ? { until } : {}), ...(count ? { count } : {}),
      skip: [...skip], title: input("r-title").value.trim(),
    };
  };
  const preview = () => {
    $("r-week-line").hidden = select("r-frequency").value !== "monthly";
    $("series-words").textContent = input("r-start").value && input("r-time").value
      ? `${words(rule())}.` : t("groupSeries.chooseTheFirstDate");
    $("skip-list").replaceChildren(...skip.map((d) => {
      const remove = h("button", { type: "button", className: "link" }, t("groupSeries.remove"),
        h("span", { className: "visually-hidden" }, ` ${longDate(d)}`));
      remove.addEventListener("click", () => { skip = skip.filter((x) => x !== d); preview(); });
      return h("li", {}, `${longDate(d)} `, remove);
    }));
  };
  form.addEventListener("input", preview);
  form.addEventListener("change", preview);
  const addSkip = $as("skip-add", HTMLButtonElement);
  addSkip.addEventListener("click", () => {
    const d = input("r-skip").value;
    if (!d) return say(out, t("groupSeries.chooseADateTo"), "error");
    if (!skip.includes(d)) skip = [...skip, d].sort();
    input("r-skip").value = "";
    say(out, "");
    preview();
  });

  const reset = () => {
    editing = null;
    form.reset();
    skip = [];
    $("series-form-heading").textContent = t("groupSeries.repeatSessions");
    submit.textContent = t("groupSeries.startTheSeries");
    cancelEdit.hidden = true;
    preview();
  };
  /** @param {Series} s */
  const edit = (s) => {
    editing = s;
    const first = new Date(s.first_start);
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: s.timezone,
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23" }).formatToParts(first).map((p) => [p.type, p.value]));
    const bits = Object.fromEntries(s.rule.split(";").map((p) => p.split("=")));
    const byday = bits.BYDAY || "";
    select("r-frequency").value = bits.FREQ === "MONTHLY" ? "monthly"
      : bits.INTERVAL === "2" ? "fortnightly" : "weekly";
    select("r-weekday").value = byday.slice(-2) || "TU";
    if (bits.FREQ === "MONTHLY") select("r-week").value = byday.slice(0, -2) || "1";
    input("r-start").value = `${parts.year}-${parts.month}-${parts.day}`;
    input("r-time").value = `${parts.hour}:${parts.minute}`;
    input("r-duration").value = String(s.duration_minutes);
    input("r-count").value = bits.COUNT || "";
    input("r-until").value = "";
    if (bits.UNTIL) {
      const u = bits.UNTIL;
      const end = new Date(`${u.slice(0, 4)}-${u.slice(4, 6)}-${u.slice(6, 8)}T${u.slice(9, 11)}:${u.slice(11, 13)}:00Z`);
      input("r-until").value = new Intl.DateTimeFormat("en-CA", { timeZone: s.timezone }).format(end);
    }
    input("r-title").value = s.title;
    skip = [...s.skipped];
    $("series-form-heading").textContent = t("groupSeries.editTheSeries");
    submit.textContent = t("groupSeries.saveTheSeries");
    cancelEdit.hidden = false;
    preview();
    input("r-start").focus();
  };
  cancelEdit.addEventListener("click", reset);

  const reload = async () => {
    /** @type {Series[]} */
    const all = await get(`/groups/${group.id}/series`);
    const running = all.filter((s) => !s.ended_at);
    $("series-list").replaceChildren(...running.map((s) => {
      const label = s.title || t("groupSeries.series");
      const change = h("button", { type: "button", className: "secondary" }, t("groupSeries.editTheSeries"),
        h("span", { className: "visually-hidden" }, `: ${s.description}`));
      change.addEventListener("click", () => edit(s));
      const stop = h("button", { type: "button", className: "danger" }, t("groupSeries.stopTheSeries"),
        h("span", { className: "visually-hidden" }, `: ${s.description}`));
      stop.addEventListener("click", () => busy(stop, out, async () => {
        if (!confirm(t("series.stopConfirm", { description: s.description }))) return;
        await request("DELETE", `/series/${s.id}`);
        say(out, t("groupSeries.theSeriesHasStopped"), "ok");
        await Promise.all([reload(), changed()]);
      }));
      return h("li", { className: "row" }, h("div", {}, h("strong", {}, label),
        h("p", { className: "series-words" }, s.description)),
      h("div", { className: "actions" }, change, stop));
    }));
    $("series-list").hidden = !running.length;
  };

  submit.disabled = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = rule();
    if (!body.start_date || !body.start_time) {
      return say(out, t("groupSeries.chooseTheFirstDate"), "error");
    }
    void busy(submit, out, async () => {
      /** @type {Series} */
      const saved = editing ? await put(`/series/${editing.id}`, body)
        : await post(`/groups/${group.id}/series`, body);
      say(out, t(editing ? "series.saved" : "series.started", { description: saved.description }), "ok");
      reset();
      await Promise.all([reload(), changed()]);
    });
  });
  reset();
  await reload();
}
