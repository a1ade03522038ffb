"""Templates and phases: the defaults are valid and sensible, validation says what is wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.rounds.phases import FloorRule, Layout, Phase, PhaseKind, Template, TurnSpec
from app.templates.defaults import (
    BALINT_CASE,
    CHECK_IN_ROUND,
    CHECK_OUT_ROUND,
    DEFAULT_TEMPLATES,
    PAIRS,
    TEAM_TIME,
)

MIN = 60


@pytest.mark.parametrize("template", DEFAULT_TEMPLATES, ids=lambda t: t.name)
def test_defaults_round_trip_through_json(template: Template) -> None:
    raw = template.model_dump_json()
    assert Template.model_validate_json(raw) == template


def test_check_in_turns_are_30s_to_2min_default_1min() -> None:
    (phase,) = CHECK_IN_ROUND.phases
    assert phase.kind is PhaseKind.round and phase.floor is FloorRule.speaker
    assert phase.turn == TurnSpec(length=60, min=30, max=120)
    assert not phase.hold_floor, "hold-the-floor is off by default"


def test_check_out_is_30s_each() -> None:
    (phase,) = CHECK_OUT_ROUND.phases
    assert phase.turn is not None and phase.turn.length == 30


def test_balint_case_shape() -> None:
    kinds = [p.kind for p in BALINT_CASE.phases]
    assert kinds == [
        PhaseKind.open,
        PhaseKind.presentation,
        PhaseKind.questions,
        PhaseKind.discussion,
        PhaseKind.push_back_return,
        PhaseKind.close,
    ]
    by_kind = {p.kind: p for p in BALINT_CASE.phases}
    assert by_kind[PhaseKind.presentation].duration == 10 * MIN
    assert by_kind[PhaseKind.questions].duration == 5 * MIN
    push_back = by_kind[PhaseKind.discussion]
    assert push_back.duration == 25 * MIN
    assert push_back.floor is FloorRule.presenter_muted
    assert push_back.layout is Layout.presenter_aside
    assert by_kind[PhaseKind.push_back_return].duration == 5 * MIN
    assert 40 * MIN <= BALINT_CASE.duration <= 55 * MIN


def test_team_time_is_30_to_45_minutes_with_five_minute_stories() -> None:
    assert 30 * MIN <= TEAM_TIME.duration <= 45 * MIN
    stories = [p for p in TEAM_TIME.phases if p.kind is PhaseKind.presentation]
    assert 1 <= len(stories) <= 2 and all(p.duration == 5 * MIN for p in stories)


def test_pairs_have_a_group_size() -> None:
    assert PAIRS.phases[0].kind is PhaseKind.pairs and PAIRS.phases[0].group_size == 2


def _phase(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "kind": "discussion",
        "title": "Talk",
        "duration": 600,
        "prompt": "",
        "floor": "open_hands",
    }
    return base | kw


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"duration": 0}, "greater than or equal to 30"),
        ({"duration": -60}, "greater than or equal to 30"),
        ({"duration": 3 * 60 * 60}, "less than or equal to 7200"),
        ({"prompt": "x" * 501}, "at most 500 characters"),
        ({"title": ""}, "at least 1 character"),
        ({"kind": "round"}, "a round phase needs a turn spec"),
        ({"turn": {"length": 60, "min": 30, "max": 120}}, "only a round phase has one"),
        ({"kind": "pairs"}, "a pairs phase needs a group size"),
        ({"kind": "questions", "floor": "presenter_muted"}, "only a discussion phase can mute"),
        (
            {"kind": "round", "floor": "open_hands", "turn": {"length": 60, "min": 30, "max": 120}},
            "gives the floor to the speaker",
        ),
        ({"kind": "chat"}, "Input should be"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_phase_validation_errors_are_clear(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        Phase.model_validate(_phase(**change))
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("length", "lo", "hi"),
    [(60, 30, 20), (10, 10, 60), (30, 60, 120), (130, 30, 120), (60, 30, 3600)],
)
def test_turn_spec_bounds(length: int, lo: int, hi: int) -> None:
    with pytest.raises(ValidationError) as err:
        TurnSpec(length=length, min=lo, max=hi)
    assert "turn lengths must satisfy" in str(err.value)


def test_template_validation() -> None:
    talk = Phase.model_validate(_phase())
    with pytest.raises(ValidationError, match="at least 1 item"):
        Template(name="Empty", phases=())
    with pytest.raises(ValidationError, match="at most 240 minutes"):
        Template(name="Long", phases=(talk.model_copy(update={"duration": 7200}),) * 3)
    push_back = Phase.model_validate(_phase(floor="presenter_muted"))
    with pytest.raises(ValidationError, match="needs a presenter"):
        Template(name="No presenter", phases=(push_back,))
    with pytest.raises(ValidationError, match="at most 20 items"):
        Template(name="Many", phases=(talk.model_copy(update={"duration": 60}),) * 21)


def test_phases_are_immutable() -> None:
    with pytest.raises(ValidationError):
        BALINT_CASE.phases[0].duration = 5  # type: ignore[misc]
