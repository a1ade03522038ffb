// @ts-check
/**
 * A group's templates, `/templates?group=ID`, for its facilitators: the built-in ones and the
 * group's own, each with its phases and length; copy a built-in, edit or delete the group's own,
 * and choose the group's default plan. The server validates every plan and its words are shown.
 */

import { ready, t } from "./i18n.js";
import { get, patch, post, put, request } from "./api.js";
import { requireAccount } from "./account.js";
import { $, $as, busy, h, message, param, say } from "./ui.js";

await ready("common", "pages", "manage");

/**
 * @typedef {"open" | "round" | "presentation" | "questions" | "discussion" | "push_back_return"
 *   | "pairs" | "close"} PhaseKind
 * @typedef {"facilitator" | "speaker" | "open_hands" | "presenter_muted"} FloorRule
 * @typedef {{length: number, min: number, max: number}} TurnSpec
 * @typedef {{kind: PhaseKind, title: string, duration: number, prompt: string, floor: FloorRule,
 *   hold_floor: boolean, layout: string, turn: TurnSpec | null, group_size: 2 | 3 | null}} Phase
 * @typedef {{id: string, name: string, description: string, phases: Phase[], duration: number,
 *   builtin: boolean, default: boolean}} Template
 */

/** What happens in a phase, in the group's words. @type {Record<PhaseKind, string>} */
export const KIND = {
  open: t("templates.kind.open"),
  round: t("templates.kind.round"),
  presentation: t("templates.kind.presentation"),
  questions: t("templates.kind.questions"),
  discussion: t("templates.kind.discussion"),
  push_back_return: t("templates.kind.push_back_return"),
  pairs: t("templates.kind.pairs"),
  close: t("templates.kind.close"),
};

/** Who has the floor. @type {Record<FloorRule, string>} */
export const FLOOR = {
  facilitator: t("templates.floor.facilitator"),
  speaker: t("templates.floor.speaker"),
  open_hands: t("templates.floor.open_hands"),
  presenter_muted: t("templates.floor.presenter_muted"),
};

/** The usual floor and layout when a phase's kind is chosen. @type {Record<PhaseKind, [FloorRule, string]>} */
const USUAL = {
  open: ["facilitator", "circle"], round: ["speaker", "spotlight"],
  presentation: ["speaker", "spotlight"], questions: ["open_hands", "circle"],
  discussion: ["open_hands", "circle"], push_back_return: ["open_hands", "circle"],
  pairs: ["open_hands", "circle"], close: ["facilitator", "circle"],
};

/** "15 minutes", "1.5 minutes". @param {number} seconds */
export function minutes(seconds) {
  const m = Math.round(seconds / 30) / 2;
  return t("templates.length", { count: m });
}

/** The server's words for a refused plan, with "phases.2.floor" as "Phase 3". @param {string} text */
export function plainWords(text) {
  const words = text.replace(/Value error, /g, "")
    .replace(/\bphases\.(\d+)(\.[a-z_.]+)?:/g, (_, i) => `phase ${Number(i) + 1}:`);
  return words.charAt(0).toUpperCase() + words.slice(1) + (/[.!?]$/.test(words) ? "" : ".");
}

/** @param {PhaseKind} kind @returns {Phase} */
function newPhase(kind = "discussion") {
  return withKind({ kind, title: "", duration: 300, prompt: "", floor: "open_hands",
    hold_floor: false, layout: "circle", turn: null, group_size: null }, kind);
}

/** The phase as another kind: its turn, group size, floor and layout follow. @param {Phase} p @param {PhaseKind} kind */
function withKind(p, kind) {
  const [floor, layout] = USUAL[kind];
  return { ...p, kind, floor, layout,
    turn: kind === "round" ? p.turn || { length: 60, min: 30, max: 120 } : null,
    group_size: kind === "pairs" ? p.group_size || 2 : null };
}

const groupId = param("group");
const out = $("status");
/** @type {{id: string, name: string, description: string, phases: Phase[]} | null} */
let draft = null;
/** @type {import("./types.js").Group | null} */
let group = null;

async function reload() {
  /** @type {Template[]} */
  const templates = await get(`/groups/${encodeURIComponent(groupId)}/templates`);
  const chosen = templates.find((t) => t.default);
  $("default-line").textContent = chosen
    ? t("templates.defaultLine", { name: chosen.name, length: minutes(chosen.duration) })
    : t("templates.noneYetWhenA");
  $("template-list").replaceChildren(...templates.map(item));
}

/** @param {Template} tpl */
function item(tpl) {
  const locked = Boolean(group?.archived_at);
  /** @param {string} text @param {() => Promise<void>} action @param {string} [kind] */
  const button = (text, action, kind = "secondary") => {
    const b = h("button", { type: "button", className: kind, "aria-label": `${text}: ${tpl.name}` }, text);
    b.addEventListener("click", () => busy(b, out, action));
    return b;
  };
  const actions = locked ? [] : [
    tpl.builtin ? button(t("templates.makeACopy"), async () => {
      /** @type {Template} */
      const copy = await post(`/groups/${groupId}/templates`, { copy_of: tpl.id });
      await reload();
      say(out, t("templates.copied", { name: copy.name }), "ok");
      edit(copy);
    }) : button(t("templates.edit"), async () => edit(tpl)),
    tpl.default ? button(t("templates.stopUsingAsThe"), () => choose(null, t("templates.noDefaultPlanNow")))
      : button(t("templates.useAsThisGroup"), () => choose(tpl.id, t("templates.nowDefault", { name: tpl.name }))),
    tpl.builtin ? null : button(t("templates.delete"), async () => {
      if (!confirm(t("templates.deleteConfirm", { name: tpl.name }))) return;
      await request("DELETE", `/templates/${tpl.id}`);
      if (draft?.id === tpl.id) close();
      await reload();
      say(out, t("templates.deleted", { name: tpl.name }), "ok");
    }, "danger"),
  ];
  return h("li", { className: "row" },
    h("div", {},
      h("h3", {}, tpl.name, " ", tpl.builtin ? h("span", { className: "tag" }, t("templates.builtIn")) : null,
        " ", tpl.default ? h("span", { className: "tag", "data-state": "active" }, t("templates.defaultPlan")) : null),
      tpl.description ? h("p", {}, tpl.description) : null,
      h("p", { className: "muted" }, t("templates.summary", { length: minutes(tpl.duration), count: tpl.phases.length })),
      h("ol", {}, ...tpl.phases.map((p) => h("li", {}, t("templates.phaseLine", { title: p.title, kind: KIND[p.kind], length: minutes(p.duration) }))))),
    h("div", { className: "actions" }, ...actions));
}

/** @param {string | null} templateId @param {string} done */
async function choose(templateId, done) {
  await put(`/groups/${groupId}/default-template`, { template_id: templateId });
  await reload();
  say(out, done, "ok");
}

/** Open the editor on one of the group's templates. @param {Template} tpl */
function edit(tpl) {
  draft = { id: tpl.id, name: tpl.name, description: tpl.description, phases: tpl.phases.map((p) => ({ ...p })) };
  $as("t-name", HTMLInputElement).value = tpl.name;
  $as("t-description", HTMLTextAreaElement).value = tpl.description;
  $("editor-heading").textContent = t("templates.editHeading", { name: tpl.name });
  say($("editor-problem"), "");
  $("editor").hidden = false;
  drawPhases();
  $("editor-heading").focus();
}

function close() {
  draft = null;
  $("editor").hidden = true;
}

function drawPhases() {
  if (!draft) return;
  const phases = draft.phases;
  $("total").textContent = t("templates.inAll", { length: minutes(phases.reduce((sum, p) => sum + p.duration, 0)) });
  $("phases").replaceChildren(...phases.map((p, i) => phaseEditor(p, i, phases.length)));
}

/** @param {Phase} p @param {number} i @param {number} count */
function phaseEditor(p, i, count) {
  const id = (/** @type {string} */ name) => `p${i}-${name}`;
  const name = t(p.title ? "templates.phaseNamed" : "templates.phaseLower", { n: i + 1, title: p.title });
  /** @param {Partial<Phase>} change @param {boolean} [redraw] */
  const set = (change, redraw = false) => {
    if (!draft) return;
    draft.phases[i] = { ...draft.phases[i], ...change };
    if (redraw) drawPhases();
  };
  /** @param {string} label @param {string} field @param {HTMLElement} input */
  const field = (label, field, input) => [h("label", { for: id(field) }, label), input];

  const title = h("input", { id: id("title"), value: p.title, maxLength: 80, required: true });
  title.addEventListener("input", () => set({ title: title.value }));
  const kind = h("select", { id: id("kind") }, ...Object.entries(KIND).map(([value, label]) =>
    h("option", { value, selected: value === p.kind }, label)));
  kind.addEventListener("change", () => {
    if (draft) draft.phases[i] = withKind(draft.phases[i], /** @type {PhaseKind} */ (kind.value));
    drawPhases();
    $(id("kind")).focus();
  });
  const length = h("input", { id: id("minutes"), type: "number", min: "0.5", max: "120", step: "0.5",
    inputMode: "decimal", value: String(p.duration / 60) });
  length.addEventListener("input", () => {
    set({ duration: Math.round(Number(length.value) * 60) });
    if (draft) $("total").textContent = t("templates.inAll", { length: minutes(draft.phases.reduce((s, q) => s + q.duration, 0)) });
  });
  const prompt = h("textarea", { id: id("prompt"), maxLength: 500, value: p.prompt });
  prompt.addEventListener("input", () => set({ prompt: prompt.value }));
  const floor = h("select", { id: id("floor") }, ...Object.entries(FLOOR).map(([value, label]) =>
    h("option", { value, selected: value === p.floor }, label)));
  floor.addEventListener("change", () => set({ floor: /** @type {FloorRule} */ (floor.value),
    layout: floor.value === "presenter_muted" ? "presenter_aside" : USUAL[p.kind][1] }));
  const hold = h("input", { id: id("hold"), type: "checkbox", checked: p.hold_floor });
  hold.addEventListener("change", () => set({ hold_floor: hold.checked }));

  const parts = [
    ...field(t("templates.title"), "title", title), ...field(t("templates.whatHappens"), "kind", kind),
    ...field(t("templates.minutes"), "minutes", length),
    ...field(t("templates.promptShownToEveryone"), "prompt", prompt),
    ...field(t("templates.whoHasTheFloor"), "floor", floor),
    h("label", { className: "check" }, hold,
      h("span", {}, t("templates.holdTheFloorOnly"))),
  ];
  if (p.turn) {
    const turn = p.turn;
    /** @param {"min" | "length" | "max"} key @param {string} label */
    const seconds = (key, label) => {
      const input = h("input", { id: id(key), type: "number", min: "15", max: "900", step: "5",
        inputMode: "numeric", value: String(turn[key]) });
      input.addEventListener("input", () => {
        if (draft?.phases[i].turn) set({ turn: { ...draft.phases[i].turn, [key]: Number(input.value) } });
      });
      return field(label, key, input);
    };
    parts.push(h("fieldset", {}, h("legend", {}, t("templates.turnsInSeconds")),
      ...seconds("min", t("templates.shortestTurn")), ...seconds("length", t("templates.usualTurn")),
      ...seconds("max", t("templates.longestTurn"))));
  }
  if (p.group_size) {
    const size = h("select", { id: id("size") }, h("option", { value: "2", selected: p.group_size === 2 }, t("templates.pairs2")),
      h("option", { value: "3", selected: p.group_size === 3 }, t("templates.triads3")));
    size.addEventListener("change", () => set({ group_size: size.value === "3" ? 3 : 2 }));
    parts.push(...field(t("templates.peopleInEachSmall"), "size", size));
  }
  /** @param {string} text @param {number} to @param {boolean} disabled */
  const move = (text, to, disabled) => {
    const b = h("button", { type: "button", className: "secondary", disabled,
      "aria-label": `${text}: ${name}` }, text);
    b.addEventListener("click", () => {
      if (!draft) return;
      const list = draft.phases;
      if (to < 0) list.splice(i, 1);
      else [list[i], list[to]] = [list[to], list[i]];
      drawPhases();
      const again = document.querySelectorAll("#phases > fieldset")[to < 0 ? Math.max(0, i - 1) : to];
      if (again instanceof HTMLElement) again.focus();
    });
    return b;
  };
  return h("fieldset", { tabIndex: -1 }, h("legend", {}, t("templates.phaseN", { n: i + 1 })),
    ...parts,
    h("div", { className: "actions" }, move(t("templates.moveUp"), i - 1, i === 0),
      move(t("templates.moveDown"), i + 1, i === count - 1),
      count > 1 ? move(t("templates.remove"), -1, false) : null));
}

/** A client-side check the server would make less plainly. @returns {string} */
function localProblem() {
  if (!draft) return "";
  if (!$as("t-name", HTMLInputElement).value.trim()) return t("templates.nameMissing");
  const bad = draft.phases.findIndex((p) => !(p.duration >= 30 && p.duration <= 7200));
  return bad >= 0 ? t("templates.badLength", { n: bad + 1 }) : "";
}

async function main() {
  await requireAccount();
  try {
    group = await get(`/groups/${encodeURIComponent(groupId)}`);
    if (!group) return;
    $("title").textContent = t("templates.titleOf", { group: group.name });
    document.title = t("templates.pageOf", { group: group.name });
    $as("back", HTMLAnchorElement).href = `/group?id=${encodeURIComponent(group.id)}`;
    await reload();
  } catch (error) {
    say($("problem"), message(error), "error");
    return;
  }
  $("add-phase").addEventListener("click", () => {
    if (!draft) return;
    draft.phases.push(newPhase());
    drawPhases();
    $(`p${draft.phases.length - 1}-title`).focus();
  });
  $("cancel").addEventListener("click", close);
  const save = $as("save", HTMLButtonElement);
  const problem = $("editor-problem");
  $as("editor", HTMLFormElement).addEventListener("submit", (event) => {
    event.preventDefault();
    if (!draft) return;
    const local = localProblem();
    if (local) {
      say(problem, t("templates.notSaved", { why: local }), "error");
      return;
    }
    const current = draft;
    void busy(save, problem, async () => {
      try {
        /** @type {Template} */
        const saved = await patch(`/templates/${current.id}`, {
          name: $as("t-name", HTMLInputElement).value.trim(),
          description: $as("t-description", HTMLTextAreaElement).value.trim(),
          phases: current.phases });
        say(problem, "");
        await reload();
        edit(saved);
        say(out, t("templates.saved", { name: saved.name }), "ok");
      } catch (error) {
        say(problem, t("templates.notSaved", { why: plainWords(message(error)) }), "error");
      }
    });
  });
}

main();
