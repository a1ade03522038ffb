"""Proposing near-peer pairs (pure): the hard rule never broken, preferences honoured when they
can be, the longest wait first, the same answer every time."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import UTC, datetime, timedelta

from app.pairing.matching import Person, propose, same_department

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def person(n: int, specialty: str, site: str, department: str) -> Person:
    return Person(uuid.UUID(int=n), specialty, site, department, T0 + timedelta(minutes=n))


def test_never_within_a_department_even_when_nothing_else_is_possible() -> None:
    senior = person(1, "Medicine", "Royal", "Cardiology")
    junior = person(2, "medicine ", "royal", "cardiology")  # the same, written differently
    assert same_department(senior, junior)
    assert propose([senior], [junior], prefer_same_specialty=True, prefer_same_site=True) == []
    other_site = person(3, "Medicine", "General", "Cardiology")
    assert not same_department(other_site, junior)
    made = propose([senior, other_site], [junior], prefer_same_specialty=True,
                   prefer_same_site=True)
    assert [(p.senior, p.junior) for p in made] == [(other_site.id, junior.id)]


def test_preferences_decide_and_can_be_switched_off() -> None:
    junior = person(10, "Surgery", "Royal", "Orthopaedics")
    same_spec_other_site = person(1, "Surgery", "General", "General surgery")
    other_spec_same_site = person(2, "Psychiatry", "Royal", "Liaison")
    both = [same_spec_other_site, other_spec_same_site]
    by_specialty = propose(both, [junior], prefer_same_specialty=True, prefer_same_site=False)
    assert by_specialty[0].senior == same_spec_other_site.id and by_specialty[0].same_specialty
    by_site = propose(both, [junior], prefer_same_specialty=False, prefer_same_site=True)
    assert by_site[0].senior == other_spec_same_site.id and by_site[0].same_site
    neither = propose(both, [junior], prefer_same_specialty=False, prefer_same_site=False)
    assert neither[0].senior == same_spec_other_site.id  # who volunteered first


def test_whoever_asked_first_is_matched_first() -> None:
    senior = person(1, "Medicine", "Royal", "Renal")
    early, late = person(5, "Medicine", "Royal", "Acute"), person(6, "Medicine", "Royal", "Acute")
    made = propose([senior], [late, early], prefer_same_specialty=True, prefer_same_site=True)
    assert [p.junior for p in made] == [early.id]


def test_random_schemes_hold_the_rules_and_are_deterministic() -> None:
    rng = random.Random(15)
    specialties, sites = ["Medicine", "Surgery", "GP"], ["Royal", "General"]
    departments = ["A", "B", "C"]
    for _ in range(50):
        seniors = [person(n, rng.choice(specialties), rng.choice(sites), rng.choice(departments))
                   for n in range(rng.randint(0, 8))]
        juniors = [person(100 + n, rng.choice(specialties), rng.choice(sites),
                          rng.choice(departments)) for n in range(rng.randint(0, 8))]
        made = propose(seniors, juniors, prefer_same_specialty=True, prefer_same_site=True)
        shuffled = propose(rng.sample(seniors, len(seniors)), rng.sample(juniors, len(juniors)),
                           prefer_same_specialty=True, prefer_same_site=True)
        assert made == shuffled
        by_id = {p.id: p for p in seniors + juniors}
        used = [x for p in made for x in (p.senior, p.junior)]
        assert len(used) == len(set(used))
        assert all(not same_department(by_id[p.senior], by_id[p.junior]) for p in made)
        # maximal: no senior and junior both left over could still have been paired
        left_s = [s for s in seniors if s.id not in used]
        left_j = [j for j in juniors if j.id not in used]
        assert all(same_department(s, j) for s, j in itertools.product(left_s, left_j))
