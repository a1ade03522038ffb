"""The pairs phase and the hand queue in a live session's state, without I/O: entering a pairs
phase arranges the members, the bells go to whom they concern, a drop tells the partner,
everyone returns at the bell and on moving on; least spoken first orders the facilitators'
queue only."""

from __future__ import annotations

from app.facilitation.clocks import next_deadline, tick
from app.facilitation.presence import joined, lost
from app.facilitation.views import view as state_view
from app.rounds import pairs
from app.rounds.phases import FloorRule, Phase, PhaseKind, Template
from tests.facilitation.test_live import (
    ROLES,
    T0,
    A,
    B,
    D,
    F,
    do,
    presence,
    refused,
    room,
    wire,
)

PAIRS = Template(name="Pairs", phases=(
    Phase(kind=PhaseKind.pairs, title="Pairs", duration=300, floor=FloorRule.open_hands,
          group_size=2),
    Phase(kind=PhaseKind.close, title="Close", duration=60, floor=FloorRule.facilitator),
))


def test_entering_a_pairs_phase_arranges_the_members_and_nobody_moves_until_start() -> None:
    live, pres = room(PAIRS, F, A, B, D)
    assert refused(live, F, "pairs", pres, action="arrange") == "no_pairs"
    live = do(live, F, "phase", pres, action="start")
    assert live.pairs is not None and live.pairs.status is pairs.PairsStatus.arranged
    assert sorted(p for g in live.pairs.groups for p in g) == sorted([A, B, D])
    assert [len(g) for g in live.pairs.groups] == [3]  # three members: one triad
    assert pairs.rooms(live.pairs) is None
    assert refused(live, A, "pairs", pres, action="start") == "not_in_control"
    live = do(live, F, "pairs", pres, action="arrange", arrangement="manual",
              facilitators=True, groups=[[F, A], [B, D]])
    assert live.pairs is not None and live.pairs.groups == ((F, A), (B, D))
    assert refused(live, F, "pairs", pres, action="arrange", arrangement="manual",
                   groups=[[A, B]]) == "invalid_plan"  # not everyone named


def test_bells_go_to_their_group_and_everyone_returns_at_the_bell() -> None:
    live, pres = room(PAIRS, F, A, B, D)
    live = do(live, F, "phase", pres, action="start")
    live = do(live, F, "pairs", pres, action="arrange", arrangement="manual",
              facilitators=True, groups=[[F, A], [B, D]])
    live = do(live, F, "pairs", pres, now=T0 + 10, action="start")
    assert live.pairs is not None and pairs.rooms(live.pairs) == ((F, A), (B, D))
    # members see only their own group
    seen = state_view(live, T0 + 10, pres, facilitator=False, viewer=B).data()["pairs"]
    assert seen["groups"] == [[B, D]] and seen["mine"] == 0 and seen["remaining"] == 290.0
    assert next_deadline(live, T0 + 10) == T0 + 10 + 145  # the swap, at half time
    live, notices, _ = tick(live, T0 + 155)
    assert [(n.event, n.to) for n in notices] == [("swap", (F, A)), ("swap", (B, D))]
    live, notices, _ = tick(live, T0 + 240)  # one minute left: the pairs' warning, not the phase's
    assert wire(notices) == [{"kind": "notice", "about": "pairs", "event": "one_minute_left"}]
    live, notices, _ = tick(live, T0 + 300)
    assert wire(notices) == [{"kind": "notice", "about": "pairs", "event": "returned"}]
    assert live.pairs is not None and pairs.rooms(live.pairs) is None
    assert live.sequence is not None and live.sequence.index == 0  # the phase goes on


def test_a_drop_tells_the_partner_and_moving_on_brings_everyone_back() -> None:
    live, pres = room(PAIRS, F, A, B, D)
    live = do(live, F, "phase", pres, action="start")
    live = do(live, F, "pairs", pres, action="arrange", arrangement="manual",
              groups=[[A, B, D]])
    live = do(live, F, "pairs", pres, action="start")
    live, notices, _ = lost(live, D, presence(F, A, B), T0 + 5)
    assert [(n.event, n.participant_id, n.to) for n in notices] == \
        [("partner_left", D, (A, B))]
    live, _, _ = joined(live, D, ROLES[D], pres, T0 + 9)  # back: in the whole group
    assert live.pairs is not None and pairs.group_of(live.pairs, D) is None
    live = do(live, F, "pairs", pres, action="visit", group=0)
    assert pairs.rooms(live.pairs) == ((A, B, F),)
    live = do(live, F, "phase", pres, action="advance")
    assert live.pairs is None and live.last_pairs == ((A, B),)


def test_least_spoken_first_orders_the_facilitators_queue_only() -> None:
    live, pres = room(PAIRS, F, A, B, D)
    for who in (A, B, D):
        live = do(live, who, "hand", pres, action="raise")
    talk = {A: 120.0, B: 5.0, D: 40.0}
    fac = state_view(live, T0, pres, facilitator=True, talk=talk).data()["hands"]
    assert fac == {"raised": [A, B, D], "floor": None, "by_time": False}
    live = do(live, F, "hand", pres, action="order_by_time", enabled=True)
    fac = state_view(live, T0, pres, facilitator=True, talk=talk).data()["hands"]
    assert fac == {"raised": [B, D, A], "floor": None, "by_time": True}
    member = state_view(live, T0, pres, facilitator=False, talk=talk).data()["hands"]
    assert member == {"raised": [A, B, D], "floor": None, "by_time": False}


def test_manual_groups_may_take_in_a_facilitator_and_nobody_starts_alone() -> None:
    live, pres = room(PAIRS, F, A, B, D)
    live = do(live, F, "phase", pres, action="start")
    live = do(live, F, "pairs", pres, action="arrange", arrangement="manual",
              groups=[[A, F], [B, D]])  # the facilitator named: in a pair
    assert live.pairs is not None and live.pairs.groups == ((A, F), (B, D))
    assert refused(live, F, "pairs", pres, action="arrange", arrangement="manual",
                   groups=[[A, F], [B, "nobody"]]) == "invalid_plan"  # not in the room
    live = do(live, F, "pairs", pres, action="arrange", arrangement="manual",
              groups=[[A, B, D]])
    live, _, _ = lost(live, B, presence(F, A, D), T0 + 1)
    live, _, _ = lost(live, D, presence(F, A), T0 + 2)
    assert refused(live, F, "pairs", presence(F, A), action="start") == "invalid_plan"
