// @ts-check
/**
 * "My attendance", `/attendance`: the doctor's records in each group this device belongs to,
 * a certificate to download (a print-ready page with a verification code), and deleting them.
 */

import { API, ApiError, cookie, get, request } from "./api.js";
import { longDate } from "./attendance-format.js";
import { ready, t } from "./i18n.js";
import { mountLanguages } from "./languages.js";
import { $, busy, h, message, say } from "./ui.js";

await ready("common", "pages");
mountLanguages();

/**
 * @typedef {{on_date: string, minutes: number}} AttendanceRecord
 * @typedef {{member_id: string, group_id: string, group_name: string,
 *   records: AttendanceRecord[], minutes: number}} MyAttendance
 */

/** Download this membership's certificate as a file. @param {string} memberId */
async function download(memberId) {
  const response = await fetch(`${API}/me/memberships/${encodeURIComponent(memberId)}/certificate`, {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "x-csrf-token": cookie("rounds_csrf") },
  });
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    throw new ApiError(response.status, data?.error ?? `http_${response.status}`,
      data?.detail ?? response.statusText);
  }
  const disposition = response.headers.get("content-disposition") || "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? "rounds-attendance.html";
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** One group's card. @param {MyAttendance} a @param {() => Promise<void>} reload */
function card(a, reload) {
  const out = h("div", { className: "msg", role: "status", hidden: true });
  const headingId = `group-${a.group_id}`;
  if (!a.records.length) {
    return h("section", { className: "card", "aria-labelledby": headingId },
      h("h2", { id: headingId }, a.group_name),
      h("p", {}, t("attendance.noRecords")));
  }
  const rows = a.records.map((r) => h("tr", {},
    h("td", {}, longDate(r.on_date)), h("td", { className: "num" }, String(r.minutes))));
  const get = h("button", { type: "button" }, t("attendance.download"));
  get.addEventListener("click", () => busy(get, out, async () => {
    await download(a.member_id);
    say(out, t("attendance.downloaded"), "ok");
  }));
  const remove = h("button", { type: "button", className: "secondary" }, t("attendance.delete"));
  remove.addEventListener("click", () => {
    if (!confirm(t("attendance.deleteConfirm", { group: a.group_name }))) return;
    busy(remove, out, async () => {
      await request("DELETE", `/me/memberships/${encodeURIComponent(a.member_id)}/attendance`);
      await reload();
      say($("status"), t("attendance.deleted"), "ok");
    });
  });
  return h("section", { className: "card", "aria-labelledby": headingId },
    h("h2", { id: headingId }, a.group_name),
    h("table", {},
      h("caption", { className: "visually-hidden" }, t("attendance.caption", { group: a.group_name })),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("attendance.date")),
        h("th", { scope: "col", className: "num" }, t("attendance.minutes")))),
      h("tbody", {}, ...rows)),
    h("p", {}, t("attendance.total", { count: a.records.length,
      minutes: t("attendance.minutesInAll", { count: a.minutes }) })),
    h("div", { className: "actions" }, get, remove),
    out);
}

async function load() {
  /** @type {MyAttendance[]} */
  let mine;
  try {
    mine = await get("/me/attendance");
  } catch (error) {
    $("loading").hidden = true;
    return say($("problem"), message(error), "error");
  }
  $("loading").hidden = true;
  $("none").hidden = mine.length > 0;
  $("groups").replaceChildren(...mine.map((a) => card(a, load)));
}

load();
