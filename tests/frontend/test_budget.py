"""The room page stays small: its HTML, styles and every script it imports, under a budget.

A doctor may open the room on a phone over a congested hospital network; this is what they
download before any media flows (the server sends it uncompressed unless a proxy compresses it).
"""

from __future__ import annotations

import re

from tests.frontend.conftest import ROOT

FRONTEND = ROOT / "frontend"
BUDGET_BYTES = 64 * 1024
IMPORT = re.compile(r'from\s+"(\./[^"]+)"')


def room_files() -> list[str]:
    seen: list[str] = []

    def walk(name: str) -> None:
        if name in seen:
            return
        seen.append(name)
        for dep in IMPORT.findall((FRONTEND / "static" / name).read_text()):
            walk(dep.removeprefix("./"))

    walk("room.js")
    return ["room.html", "static/style.css", "static/room.css", *(f"static/{n}" for n in seen)]


def test_room_page_fits_its_budget() -> None:
    sizes = {name: (FRONTEND / name).stat().st_size for name in room_files()}
    total = sum(sizes.values())
    assert total <= BUDGET_BYTES, f"room page is {total} bytes (budget {BUDGET_BYTES}): {sizes}"


def test_pages_load_nothing_from_another_host() -> None:
    for path in [*FRONTEND.glob("*.html"), *(FRONTEND / "static").glob("*.*")]:
        text = path.read_text()
        assert not re.search(r'(src|href)="(https?:)?//', text), path
        assert "<script>" not in text and " style=" not in text, f"inline script/style in {path}"
