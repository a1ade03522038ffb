"""Every word a person sees comes from the message catalogues (docs/i18n.md).

- The catalogues are sound: en-GB holds every key once; a complete locale (Welsh for everything
  a doctor sees) has exactly en-GB's keys, a partial one (`"": "partial"`) a subset; every
  translation has the same `{placeholders}`; a plural has `other` and only its locale's forms.
- Every key the pages use (`t("…")`, `data-t`, `data-t-attr`) is in en-GB.
- No page or module holds words of its own: the HTML has no text and no literal `aria-label`,
  `title`, `placeholder`, `alt` or button `value`; a JavaScript string literal that reads as prose
  (two words, or a capitalised word) fails with its file:line, as does any literal given to
  `textContent`, `say()`, `announce()` and the like. Errors for developers (`new Error(…)`,
  `console.…`) are not for people and are let through.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from tests.frontend.conftest import ROOT

FRONTEND = ROOT / "frontend"
STATIC = FRONTEND / "static"
CATALOGUES = STATIC / "i18n"
BASE = "en-GB"
PLURALS = {"en-GB": {"one", "other"}, "cy": {"zero", "one", "two", "few", "many", "other"}}
PLACEHOLDER = re.compile(r"\{(\w+)\}")

# Modules not yet moved to the catalogues. Each entry must still hold English of its own: remove
# it when its words are moved, and never add a doctor's page here. facilitate.js (the
# facilitator's panel in the room) waits for room under the facilitator's budget (docs/i18n.md).
NOT_YET = {
    "static/facilitate.js",  # the facilitator's panel: no room left in the room page's budget
    # merged in the same session as the catalogues, still with their own words (en-GB only):
    # the group page's card and pulse editor (facilitators and admins)
    "static/group-checkout.js", "group.html",
    # peer networks' and pairing schemes' pages (admins, hosts and leads)
    "networks.html", "static/networks.js", "pairing-schemes.html", "static/pairing-schemes.js",
    # a programme lead's pages
    "programmes.html", "static/programmes.js", "programme.html", "static/programme.js",
    "programme-import.html", "static/programme-import.js", "programme-allocation.html",
    "static/programme-allocation.js", "programme-changeover.html",
    "static/programme-changeover.js", "static/programme-api.js", "static/programme-page.js",
}
DOCTOR_PAGES = {"index.html", "join.html", "check.html", "lobby.html", "room.html",
                "attendance.html", "verify.html"}

Message = str | dict[str, str]


def catalogue(locale: str) -> dict[str, dict[str, Message]]:
    """Each part of a locale's catalogue: {part: {key: message}}."""
    return {p.stem: json.loads(p.read_text()) for p in sorted((CATALOGUES / locale).glob("*.json"))}


def base_keys() -> dict[str, Message]:
    return {k: v for part in catalogue(BASE).values() for k, v in part.items()}


def placeholders(message: Message) -> set[str]:
    forms = message.values() if isinstance(message, dict) else [message]
    return {name for form in forms for name in PLACEHOLDER.findall(form)}


def test_catalogues_are_sound() -> None:
    base = catalogue(BASE)
    seen: dict[str, str] = {}
    for part, messages in base.items():
        assert "" not in messages, f"en-GB/{part}.json is the base: it cannot be partial"
        for key in messages:
            assert key not in seen, f"{key} is in both en-GB/{seen[key]}.json and {part}.json"
            seen[key] = part
    locales = [d.name for d in CATALOGUES.iterdir() if d.is_dir()]
    assert set(locales) == set(PLURALS), f"plural forms unknown for {set(locales) - set(PLURALS)}"
    problems = []
    for locale in locales:
        parts = catalogue(locale)
        assert set(parts) == set(base), f"{locale} parts {sorted(parts)} != {sorted(base)}"
        for part, messages in parts.items():
            partial = messages.get("") == "partial"
            keys = set(messages) - {""}
            missing, extra = set(base[part]) - keys, keys - set(base[part])
            if missing and not partial:
                problems.append(f"{locale}/{part}.json lacks {sorted(missing)}")
            if extra:
                problems.append(f"{locale}/{part}.json has keys en-GB lacks: {sorted(extra)}")
            for key in keys & set(base[part]):
                message = messages[key]
                if placeholders(message) != placeholders(base[part][key]):
                    problems.append(f"{locale} {key}: placeholders differ from en-GB")
                if isinstance(message, dict):
                    forms = set(message)
                    if "other" not in forms or not forms <= PLURALS[locale]:
                        problems.append(f"{locale} {key}: plural forms {sorted(forms)}")
                elif not isinstance(message, str) or not message:
                    problems.append(f"{locale} {key}: empty")
    assert not problems, "\n".join(problems)


def test_doctor_pages_are_complete_in_welsh() -> None:
    """Everything a doctor sees has a Welsh translation: no doctor's part is partial."""
    for part in ("common", "pages", "room", "together", "peer"):
        assert catalogue("cy")[part].get("") != "partial", part


# --- reading the sources --------------------------------------------------------------------

def sources() -> Iterator[tuple[str, Path]]:
    for path in sorted(FRONTEND.glob("*.html")):
        yield path.name, path
    for path in sorted(STATIC.glob("*.js")):
        yield f"static/{path.name}", path


class _Page(HTMLParser):
    """Text and literal words in attributes of an HTML page, with their lines."""

    WORDS = ("aria-label", "title", "placeholder", "alt", "aria-description")

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.found: list[tuple[int, str]] = []
        self.keys: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag in ("script", "style"):
            self.skip += 1
        button = tag == "input" and dict(attrs).get("type") in ("button", "submit", "reset")
        for name, value in attrs:
            shown = name in self.WORDS or (button and name == "value")  # an option's is not
            if shown and value and re.search(r"[A-Za-z]", value):
                self.found.append((line, f'{name}="{value}"'))
            if name == "data-t" and value:
                self.keys.append((line, value))
            if name == "data-t-attr" and value:
                self.keys += [(line, pair.split("=", 1)[1]) for pair in value.split()]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and re.search(r"[^\W\d_]", data):
            self.found.append((self.getpos()[0], data.strip()))


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text())
    return page


def js_strings(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, literal, the code before it on its line) for every string literal; a template
    literal's `${…}` parts become `{}`. Comments and regular expressions are passed over."""
    i, n, line = 0, len(text), 1
    last = ""  # the last significant character, to tell a regex from a division
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            continue
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            line += text.count("\n", i, end)
            i = end + 2
            continue
        if c == "/" and (not last or last in "(,=:[!&|?{};+-*%<>~^" or
                         re.search(r"\b(return|typeof|case)\s*$", text[max(0, i - 10):i])):
            j, klass = i + 1, False
            while j < n and text[j] != "\n":
                if text[j] == "\\":
                    j += 2
                    continue
                if text[j] == "[":
                    klass = True
                elif text[j] == "]":
                    klass = False
                elif text[j] == "/" and not klass:
                    break
                j += 1
            i, last = j + 1, "/"
            continue
        if c in "\"'`":
            start_line, j, out, depth = line, i + 1, [], 0
            while j < n and text[j] != c:
                if text[j] == "\\":
                    out.append(text[j + 1] if j + 1 < n else "")
                    j += 2
                    continue
                if c == "`" and text.startswith("${", j):
                    depth, k = 1, j + 2
                    while k < n and depth:
                        depth += {"{": 1, "}": -1}.get(text[k], 0)
                        k += 1
                    inner = text[j + 2:k - 1]  # code: its own literals are read too
                    for at, literal, before in js_strings(inner):
                        yield line + at - 1, literal, before
                    line += inner.count("\n")
                    out.append("{}")
                    j = k
                    continue
                line += text[j] == "\n"
                out.append(text[j])
                j += 1
            before = text[text.rfind("\n", 0, i) + 1:i]
            yield start_line, "".join(out), before
            i, last = j + 1, c
            continue
        if not c.isspace():
            last = c
        i += 1


KEY = re.compile(r"^[a-z][\w-]*(\.[\w-]+)+$")
PROSE = re.compile(r"[^\W\d_]{2,}[ \u00a0]+[^\W\d_]{2,}|^[A-Z][a-z]+\b")
NOT_PROSE = re.compile(
    r"^([./#?&]|https?:|[a-z-]+:[a-z]|data-|aria-|[\w-]+=)"  # paths, selectors, events, attributes
    r"|^[A-Z][a-z]+[A-Z]\w*$"  # an identifier: MediaProblem, NotAllowedError
    r"|^[A-Z][a-z]+/[A-Za-z_]+$"  # a time zone: Europe/London
)
KEYBOARD = {"Enter", "Escape", "Tab", "Backspace", "Delete", "Home", "End", "Space"}
DEVELOPER = re.compile(r"new (Type|Range)?Error\(|console\.\w+\(|\bthrow\b|className(:|\s*=)\s*$")
SINK = re.compile(  # code that puts the literal straight before a person
    r"(\.(textContent|innerText|innerHTML|title|placeholder|alt|ariaLabel|label)\s*=|"
    r"\b(textContent|title|placeholder|alt|\"aria-label\"|label):|"
    r"\b(confirm|alert|prompt|new Option)\()\s*$"
)


def words_in_js(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(prose literals, key-like literals) in a module, with their lines."""
    prose, keys = [], []
    for line, literal, before in js_strings(path.read_text()):
        if before.lstrip().startswith(("import ", "export ", "} from")) or " from " in before[-7:]:
            continue
        if KEY.match(literal):
            keys.append((line, literal))
            continue
        letters = bool(re.search(r"[^\W\d_]", literal))
        if not letters or DEVELOPER.search(before) or NOT_PROSE.search(literal.strip()):
            continue
        if literal.strip() in KEYBOARD:
            continue
        if PROSE.search(literal) or SINK.search(before):
            prose.append((line, literal))
    return prose, keys


def test_every_key_used_is_in_en_gb() -> None:
    known = base_keys()
    prefixes = {k.split(".")[0] for k in known}
    missing = []
    for name, path in sources():
        if path.suffix == ".html":
            used = _page(path).keys
        else:
            used = [(line, key) for line, key in words_in_js(path)[1]
                    if key.split(".")[0] in prefixes]
            # a key built at run time (`check.problem.${kind}`) needs at least one key below it
            used += [(line, lit.split("{}")[0]) for line, lit, _ in js_strings(path.read_text())
                     if "{}" in lit and KEY.match(lit.split("{}")[0].rstrip(".") or "-")
                     and lit.split(".")[0] in prefixes]
        for line, key in used:
            if key.endswith("."):
                if not any(k.startswith(key) for k in known):
                    missing.append(f"frontend/{name}:{line}: no key begins {key}")
            elif key not in known:
                missing.append(f"frontend/{name}:{line}: {key} is in no en-GB catalogue")
    assert not missing, "keys missing from frontend/static/i18n/en-GB/*.json:\n" + "\n".join(
        missing)


def test_no_words_outside_the_catalogues() -> None:
    found = []
    still = set()
    for name, path in sources():
        if path.suffix == ".html":
            hits = _page(path).found
        else:
            hits = words_in_js(path)[0]
        if hits and name in NOT_YET:
            still.add(name)
            continue
        found += [f"frontend/{name}:{line}: {text[:70]!r}" for line, text in hits]
    assert not found, (
        "words outside the message catalogues: move each into frontend/static/i18n/en-GB/"
        "PART.json (and cy/PART.json) and use t(\"key\") or data-t=\"key\" (docs/i18n.md)\n"
        + "\n".join(found))
    assert still == NOT_YET, f"moved to the catalogues, so drop from NOT_YET: {NOT_YET - still}"
    assert not DOCTOR_PAGES & NOT_YET


def test_the_checker_sees_words() -> None:
    """The checker itself: it finds prose, words given to the page, and lets code through."""
    sample = ROOT / "artifacts" / "i18n-sample.js"
    sample.parent.mkdir(exist_ok=True)
    sample.write_text(
        'import { t } from "./i18n.js";\n'
        'el.textContent = "Connected";\n'
        'say(out, `Hello ${name}, welcome`, "ok");\n'
        'const x = cond ? "Lower hand" : t("room.raiseHand");\n'
        'el.textContent = "ok";\n'
        'throw new Error(`#${id} is missing`);\n'
        'const re = /"[^"]+ text"/g; const q = ".tile video"; const k = "NotAllowedError";\n'
        '// "A comment with words"\n'
        'location.assign(`/lobby?session=${id}`);\n'
        'p.textContent = `${x ? "Personal" : "Shared"}, used ${n}`;\n')
    prose, keys = words_in_js(sample)
    assert prose == [(2, "Connected"), (3, "Hello {}, welcome"), (4, "Lower hand"), (5, "ok"),
                     (10, "Personal"), (10, "Shared"), (10, "{}, used {}")], prose
    assert keys == [(4, "room.raiseHand")], keys
    sample.unlink()


def test_checker_reads_html() -> None:
    page = _Page()
    page.feed('<p data-t="a.b"></p>\n<button aria-label="Close">x</button>\n<!-- words -->\n'
              '<script type="module" src="/x.js"></script>')
    assert [line for line, _ in page.found] == [2, 2]
    assert page.keys == [(1, "a.b")]
