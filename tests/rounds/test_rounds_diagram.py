"""docs/rounds.md carries the diagrams generated from the transition tables, up to date."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.rounds import diagram
from app.rounds.states import ROUND_TABLE, TURN_TABLE, RoundStatus, TurnStatus

DOC = Path(__file__).resolve().parents[2] / "docs" / "rounds.md"


def test_docs_rounds_md_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert diagram.generated_section().rstrip("\n") in text, (
        "docs/rounds.md is out of date: run `python -m app.rounds.diagram --write docs/rounds.md`"
    )
    assert diagram.replace_section(text) == text


def test_every_table_entry_is_drawn() -> None:
    turns = diagram.turn_diagram()
    for (src, move), dst in TURN_TABLE.items():
        line = next(ln for ln in turns.splitlines() if ln.strip().startswith(f"{src} --> {dst}:"))
        assert move.value in line
    rounds = diagram.round_diagram()
    for (rsrc, event), targets in ROUND_TABLE.items():
        for rdst in targets:
            line = next(
                ln for ln in rounds.splitlines() if ln.strip().startswith(f"{rsrc} --> {rdst}:")
            )
            assert event.value in line
    assert f"[*] --> {TurnStatus.queued}" in turns and f"[*] --> {RoundStatus.pending}" in rounds


def test_main_prints_and_refuses_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert diagram.main([]) == 0
    assert capsys.readouterr().out == diagram.generated_section()
    assert diagram.main(["--bogus"]) == 2


def test_replace_section_needs_the_markers(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        diagram.replace_section("no markers here")
    with pytest.raises(ValueError):
        diagram.replace_section(diagram.BEGIN + " but no end")
    doc = tmp_path / "doc.md"
    doc.write_text(f"intro\n\n{diagram.BEGIN}\nstale\n{diagram.END}\n\noutro\n", encoding="utf-8")
    assert diagram.main(["--write", str(doc)]) == 0
    text = doc.read_text(encoding="utf-8")
    assert "stale" not in text and text.startswith("intro") and text.endswith("outro\n")
    assert diagram.generated_section().rstrip("\n") in text
