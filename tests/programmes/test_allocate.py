"""The allocation solver on its own (pure): rules held, impossibilities explained by the rules
that clash, a change-over placing as many as fit."""

from __future__ import annotations

from app.programmes.allocate import (
    Facilitator,
    Rules,
    Running,
    Someone,
    allocate,
    prechecks,
    violations,
)

TUE = frozenset({"TU 12:30"})


def doctor(n: int, *, avoid: tuple[int, ...] = (), specialty: str = "medicine",
           slots: frozenset[str] = TUE, cohort: str = "foundation") -> Someone:
    return Someone(f"p{n}", f"Dr {n}", cohort, specialty, "north", slots,
                   frozenset(f"p{a}" for a in avoid))


def test_a_ring_of_separations_in_one_possible_group_names_them() -> None:
    people = [doctor(n, avoid=((n + 1) % 7,)) for n in range(7)]
    outcome = allocate(people, [Facilitator("f", "F", TUE)], Rules(), seconds=5)
    assert not outcome.ok and outcome.groups == []
    [problem] = outcome.problems
    assert problem.startswith("These cannot all hold together: keeping Dr")
    assert "apart" in problem


def test_the_same_people_without_separations_make_one_group() -> None:
    people = [doctor(n) for n in range(7)]
    outcome = allocate(people, [Facilitator("f", "F", TUE)], Rules(), seconds=5)
    assert outcome.ok
    [group] = outcome.groups
    assert sorted(group.members) == sorted(p.key for p in people)
    assert violations([(group.slot, group.cohort, people)], Rules()) == []


def test_plain_impossibilities_are_found_before_solving() -> None:
    people = [doctor(n, slots=frozenset({"WE 13:00"})) for n in range(3)]
    problems = prechecks(people, [Facilitator("f", "F", TUE)], Rules())
    assert "3 people: a group needs at least 6." in problems
    assert any("Dr 0 can make WE 13:00, and no facilitator runs a group then." == p
               for p in problems)
    assert any("foundation cohort" in p for p in prechecks(people, [], Rules()))


def test_cohorts_stay_apart_and_sizes_hold() -> None:
    people = [doctor(n) for n in range(8)] + [doctor(n, cohort="sas") for n in range(8, 15)]
    facilitators = [Facilitator("f1", "F1", TUE), Facilitator("f2", "F2", TUE)]
    outcome = allocate(people, facilitators, Rules(), seconds=5)
    assert outcome.ok and len(outcome.groups) == 2
    for group in outcome.groups:
        cohorts = {p.cohort for p in people if p.key in group.members}
        assert cohorts == {group.cohort}
        assert 6 <= len(group.members) <= 12


def test_a_changeover_places_as_many_as_fit_and_keeps_stayers_apart() -> None:
    stayers = tuple(doctor(n) for n in range(10))
    running = [Running("g1", "f", "TU 12:30", "foundation", stayers)]
    newcomers = [doctor(20, avoid=(3,)), doctor(21), doctor(22), doctor(23)]
    outcome = allocate(newcomers, [], Rules(), running=running, everyone=False, seconds=5)
    assert outcome.ok
    [group] = outcome.groups
    assert len(group.members) == 2 and "p20" not in group.members  # 12 at most; 20 avoids 3
    assert "p20" in outcome.unplaced and len(outcome.unplaced) == 2
