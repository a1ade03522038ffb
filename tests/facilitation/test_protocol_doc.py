"""docs/protocol.md's Facilitation section names every kind and action the server accepts."""

from __future__ import annotations

import typing
from pathlib import Path

from app.facilitation.messages import KINDS, ControlAction, HandAction, PhaseAction, RoundAction

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def section(kind: str) -> str:
    text = DOC.read_text().split("\n## Facilitation\n", 1)[1]
    return text.split(f"\n#### {kind}\n", 1)[1].split("\n#### ", 1)[0]


def test_every_kind_has_its_paragraph() -> None:
    for kind in KINDS:
        assert section(kind).strip(), kind


def test_every_action_is_documented_under_its_kind() -> None:
    for model in (PhaseAction, RoundAction, HandAction, ControlAction):
        kind = typing.get_args(model.model_fields["kind"].annotation)[0]
        actions = typing.get_args(model.model_fields["action"].annotation)
        text = section(kind)
        missing = [a for a in actions if f"`{a}`" not in text and f'"{a}"' not in text]
        assert not missing, f"{kind}: {missing} are not in docs/protocol.md"
