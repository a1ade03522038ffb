"""Floor rules (whose audio is forwarded), raised hands, and the initial turn order."""

from __future__ import annotations

import pytest
from rounds_support import CO, F, member

from app.rounds.errors import IllegalTransition, InvalidOrder, NotAllowed, UnknownParticipant
from app.rounds.floor import (
    Hands,
    audible,
    give_floor,
    lower_hand,
    ordered,
    raise_hand,
    take_floor_back,
)
from app.rounds.order import OrderRule, order_participants
from app.rounds.phases import FloorRule, Phase, PhaseKind, TurnSpec
from app.templates.defaults import BALINT_CASE, CHECK_IN_ROUND

ROOM = {"f", "co", "a", "b", "c"}
LEADS = {"f", "co"}


def _phase(floor: FloorRule, hold: bool) -> Phase:
    if floor is FloorRule.speaker:
        return CHECK_IN_ROUND.phases[0].model_copy(update={"hold_floor": hold})
    kind = PhaseKind.discussion if floor is FloorRule.presenter_muted else PhaseKind.open
    return Phase(kind=kind, title="t", duration=60, floor=floor, hold_floor=hold)


@pytest.mark.parametrize(
    ("floor", "hold", "expected"),
    [
        (FloorRule.facilitator, False, ROOM),
        (FloorRule.facilitator, True, LEADS),
        (FloorRule.speaker, False, ROOM),
        (FloorRule.speaker, True, LEADS | {"a"}),
        (FloorRule.open_hands, False, ROOM),
        (FloorRule.open_hands, True, LEADS | {"b"}),
        (FloorRule.presenter_muted, False, ROOM - {"c"}),
        (FloorRule.presenter_muted, True, ROOM - {"c"}),
    ],
)
def test_audible(floor: FloorRule, hold: bool, expected: set[str]) -> None:
    heard = audible(
        _phase(floor, hold),
        participants=ROOM,
        facilitators=LEADS,
        speaker="a",
        presenter="c",
        floor_holder="b",
    )
    assert heard == expected


def test_hold_the_floor_with_nobody_speaking_leaves_the_facilitators() -> None:
    phase = _phase(FloorRule.speaker, True)
    assert audible(phase, participants=ROOM, facilitators=LEADS) == LEADS


def test_push_back_without_a_presenter_mutes_nobody() -> None:
    push_back = BALINT_CASE.phases[3]
    assert audible(push_back, participants=ROOM, facilitators=LEADS) == ROOM


def test_absent_people_are_never_audible() -> None:
    phase = _phase(FloorRule.speaker, True)
    heard = audible(phase, participants={"a"}, facilitators=LEADS, speaker="zz")
    assert heard == frozenset()


def test_round_phase_turn_spec_is_kept() -> None:
    assert _phase(FloorRule.speaker, True).turn == TurnSpec(length=60, min=30, max=120)


# ---------------------------------------------------------------- hands


def test_hand_queue() -> None:
    h = Hands()
    for pid in ("a", "b", "c"):
        h = raise_hand(h, member(pid))
    assert ordered(h) == ("a", "b", "c")
    with pytest.raises(IllegalTransition):
        raise_hand(h, member("a"))
    assert ordered(h, speaking_time={"a": 300, "b": 10}) == ("c", "b", "a")
    assert ordered(h, speaking_time={"a": 5, "b": 5, "c": 5}) == ("a", "b", "c"), (
        "ties: raise order"
    )
    h = lower_hand(h, member("b"))
    assert h.raised == ("a", "c")
    with pytest.raises(NotAllowed):
        lower_hand(h, member("b"), "a")
    with pytest.raises(UnknownParticipant):
        lower_hand(h, member("b"))
    h = lower_hand(h, CO, "c")
    with pytest.raises(NotAllowed):
        give_floor(h, member("c"), "a")
    with pytest.raises(UnknownParticipant):
        give_floor(h, F, "c")
    h = give_floor(h, F, "a")
    assert h == Hands(raised=(), floor="a")
    with pytest.raises(NotAllowed):
        take_floor_back(h, member("b"))
    assert take_floor_back(h, member("a")).floor is None
    h = take_floor_back(h, F)
    with pytest.raises(IllegalTransition):
        take_floor_back(h, F)
    assert Hands.model_validate_json(h.model_dump_json()) == h


# ---------------------------------------------------------------- order


def test_order_rules() -> None:
    ids = ["p3", "p1", "p2"]
    names = {"p1": "zoe", "p2": "Adam", "p3": "mia"}
    assert order_participants(ids, OrderRule.join_order) == ("p3", "p1", "p2")
    assert order_participants(ids, OrderRule.alphabetical, names=names) == ("p2", "p3", "p1")
    assert order_participants(ids, OrderRule.alphabetical) == ("p1", "p2", "p3")
    r1 = order_participants(ids * 1, OrderRule.random, seed=42)
    assert r1 == order_participants(ids, OrderRule.random, seed=42), "seeded: deterministic"
    assert sorted(r1) == sorted(ids)
    many = [f"p{i}" for i in range(12)]
    shuffles = {order_participants(many, OrderRule.random, seed=s) for s in range(5)}
    assert len(shuffles) > 1
    manual = ("p2", "p3", "p1")
    assert order_participants(ids, OrderRule.manual, manual=manual) == manual


@pytest.mark.parametrize(
    ("rule", "kw"),
    [
        (OrderRule.random, {}),
        (OrderRule.manual, {}),
        (OrderRule.manual, {"manual": ("p1", "p2")}),
        (OrderRule.manual, {"manual": ("p1", "p2", "p2")}),
        (OrderRule.manual, {"manual": ("p1", "p2", "p9")}),
    ],
)
def test_order_errors(rule: OrderRule, kw: dict[str, object]) -> None:
    with pytest.raises(InvalidOrder):
        order_participants(["p1", "p2", "p3"], rule, **kw)  # type: ignore[arg-type]


def test_duplicates_are_refused() -> None:
    with pytest.raises(InvalidOrder):
        order_participants(["a", "a"], OrderRule.join_order)
