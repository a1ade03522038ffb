"""The plan to propose for a session: template ids, in order, from its title and the default.

Pure: it reads the list ``service.list_templates`` gives (each with its ``default`` flag) and the
session's title. The rule, in order:

1. Each built-in named in the title is proposed, in the order the title names them ("Check-in
   and Balint case" → Check-in round, Balint case). Words count, not spelling: "check in",
   "check-in" and "checkin" are the same. If the group's default is a template of the same kind
   (its name names it too, e.g. "Balint case (copy)"), the group's own is proposed instead.
2. A title naming none: the group's default.
3. No default: the Check-in round, the start of every session.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

CHECK_IN_ID = "default:check-in-round"

KEYWORDS: dict[str, tuple[str, ...]] = {
    CHECK_IN_ID: ("check in", "checkin"),
    "default:balint-case": ("balint",),
    "default:team-time": ("team time", "story sharing", "stories"),
    "default:pairs": ("pairs", "pair", "triads", "triad", "near peer"),
    "default:check-out-round": ("check out", "checkout"),
}
"""Words in a title that name a built-in template (after `_words`)."""


class Listed(Protocol):
    """What `suggest` reads of a listed template (`TemplateOut`)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def default(self) -> bool: ...


def _words(text: str) -> str:
    """Lower case, words separated by single spaces: "Check-in/Balint" → " check in balint "."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def _first(text: str, keywords: tuple[str, ...]) -> int | None:
    """Where the earliest of the keywords starts in `_words` text, as a whole word."""
    found = [i for k in keywords if (i := text.find(f" {k} ")) >= 0]
    return min(found) if found else None


def suggest(templates: Sequence[Listed], session_title: str) -> list[str]:
    """The template ids to propose as a session's plan, in order (never empty)."""
    known = {t.id for t in templates}
    default = next((t for t in templates if t.default), None)
    title = _words(session_title)
    named: list[tuple[int, str]] = []
    for template_id, keywords in KEYWORDS.items():
        at = _first(title, keywords)
        if at is None or template_id not in known:
            continue
        if default is not None and _first(_words(default.name), keywords) is not None:
            template_id = default.id
        named.append((at, template_id))
    plan = list(dict.fromkeys(i for _, i in sorted(named)))
    if plan:
        return plan
    return [default.id if default is not None else CHECK_IN_ID]
