"""Pairs and triads: every (status, move) pair of the table, arranging, the bells, drops."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rounds_support import T0

from app.rounds import pairs
from app.rounds.errors import IllegalTransition, InvalidPlan
from app.rounds.pairs import (
    PAIRS_TABLE,
    Arrangement,
    Pairs,
    PairsBell,
    PairsMove,
    PairsStatus,
)

IDS = ["a", "b", "c", "d", "e"]
ARRANGED = pairs.arrange(None, (("a", "b"), ("c", "d", "e")))
RUNNING = pairs.start(ARRANGED, 300, T0)
STATES = {
    PairsStatus.arranged: ARRANGED,
    PairsStatus.running: RUNNING,
    PairsStatus.returned: pairs.bring_back(RUNNING),
}
MOVES: dict[PairsMove, Callable[[Pairs], Pairs]] = {
    PairsMove.arrange: lambda p: pairs.arrange(p, (("a", "c"), ("b", "d", "e"))),
    PairsMove.start: lambda p: pairs.start(p, 300, T0),
    PairsMove.extend: lambda p: pairs.extend(p, 60, T0 + 10),
    PairsMove.visit: lambda p: pairs.visit(p, "f", 0),
    PairsMove.drop: lambda p: pairs.drop(p, "a")[0],
    PairsMove.tick: lambda p: pairs.tick(p, T0 + 400)[0],
    PairsMove.bring_back: pairs.bring_back,
}


@pytest.mark.parametrize("status", list(PairsStatus))
@pytest.mark.parametrize("move", list(PairsMove))
def test_every_status_move_pair(status: PairsStatus, move: PairsMove) -> None:
    state = STATES[status]
    before = state.model_dump_json()
    allowed = PAIRS_TABLE.get((status, move))
    if allowed is None:
        with pytest.raises(IllegalTransition):
            MOVES[move](state)
        assert state.model_dump_json() == before
    else:
        assert MOVES[move](state).status in allowed


@given(st.integers(min_value=2, max_value=12), st.sampled_from([2, 3]), st.integers())
def test_random_groups_cover_everyone_once_in_twos_and_threes(n: int, size: int,
                                                               seed: int) -> None:
    ids = [f"p{i}" for i in range(n)]
    groups = pairs.form(ids, Arrangement.random, size=size, seed=seed)
    flat = [p for g in groups for p in g]
    assert sorted(flat) == sorted(ids)
    assert all(2 <= len(g) <= 3 for g in groups)
    if size == 2:  # pairs, one triad when odd
        assert sum(len(g) == 3 for g in groups) == n % 2
    assert groups == pairs.form(ids, Arrangement.random, size=size, seed=seed)


def test_odd_numbers_make_a_triad_and_one_person_is_refused() -> None:
    assert pairs.sizes(5, 2) == [2, 3]
    assert pairs.sizes(4, 3) == [2, 2]
    assert pairs.sizes(7, 3) == [3, 2, 2]
    with pytest.raises(InvalidPlan):
        pairs.form(["a"], Arrangement.random)


def test_kept_groups_stay_and_newcomers_are_placed() -> None:
    last = (("a", "b"), ("c", "d"))
    assert pairs.form(["a", "b", "c", "d"], Arrangement.kept, last=last) == last
    # d is gone, e and f are new: c is alone, so c, e, f are arranged among themselves
    groups = pairs.form(["a", "b", "c", "e", "f"], Arrangement.kept, last=last)
    assert groups[0] == ("a", "b") and sorted(groups[1]) == ["c", "e", "f"]
    # one newcomer joins the smallest kept group
    assert pairs.form(["a", "b", "c", "d", "e"], Arrangement.kept, last=last) == \
        (("a", "b", "e"), ("c", "d"))


def test_manual_groups_must_name_everyone_once_in_twos_or_threes() -> None:
    ok = (("a", "c"), ("b", "d", "e"))
    assert pairs.form(IDS, Arrangement.manual, manual=ok) == ok
    for bad in ((("a", "b"), ("c", "d")), (("a", "b"), ("b", "c", "d", "e")),
                (("a",), ("b", "c"), ("d", "e")), (("a", "b", "c", "d", "e"),)):
        with pytest.raises(InvalidPlan):
            pairs.form(IDS, Arrangement.manual, manual=bad)


def test_the_bells_swap_at_half_and_thirds_warn_and_bring_everyone_back() -> None:
    p = RUNNING  # a pair and a triad, 300 s
    assert pairs.next_deadline(p) == T0 + 100  # the triad's first third
    p, bells = pairs.tick(p, T0 + 100)
    assert bells == [(PairsBell.swap, 1)]
    assert pairs.next_deadline(p) == T0 + 150
    p, bells = pairs.tick(p, T0 + 150)
    assert bells == [(PairsBell.swap, 0)]
    p, bells = pairs.tick(p, T0 + 200)
    assert bells == [(PairsBell.swap, 1)]
    assert pairs.next_deadline(p) == T0 + 240
    p, bells = pairs.tick(p, T0 + 240)
    assert bells == [(PairsBell.one_minute_left, None)]
    assert pairs.tick(p, T0 + 250) == (p, [])  # nothing due: the same value
    p = pairs.extend(p, 60, T0 + 250)  # the facilitator gives a minute more
    assert pairs.next_deadline(p) == T0 + 300  # the new minute-left warning
    p, bells = pairs.tick(p, T0 + 300)
    assert bells == [(PairsBell.one_minute_left, None)]
    assert pairs.next_deadline(p) == T0 + 360
    p, bells = pairs.tick(p, T0 + 360)
    assert bells == [(PairsBell.returned, None)] and p.status is PairsStatus.returned
    assert pairs.rooms(p) is None and pairs.next_deadline(p) is None


def test_rooms_visits_and_drops() -> None:
    p = pairs.visit(RUNNING, "f", 1)
    assert pairs.rooms(p) == (("a", "b"), ("c", "d", "e", "f"))
    assert pairs.group_of(p, "f") == 1
    p = pairs.visit(p, "f", None)
    assert pairs.rooms(p) == (("a", "b"), ("c", "d", "e"))
    with pytest.raises(InvalidPlan):
        pairs.visit(p, "f", 2)
    p, where = pairs.drop(p, "a")
    assert where == 0 and pairs.rooms(p) == (("b",), ("c", "d", "e"))
    assert pairs.group_of(p, "a") is None  # back: in the whole group
    assert pairs.drop(p, "a") == (p, None)
    assert pairs.rooms(ARRANGED) is None  # nobody is apart before the start
