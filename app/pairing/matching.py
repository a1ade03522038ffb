"""Proposing near-peer pairs: pure, deterministic, best first.

Every (senior, junior) pair that may be made is scored: never within one department (the same
department at the same site: a hard rule, such a pair is not a candidate), then a point for each
preference the scheme holds that the pair meets (the same specialty, the same site). Candidates
are taken best first: the highest score, then the junior who asked first, then the senior who
volunteered first (ids break ties), each person at most once. This is a greedy matching, not an
optimal assignment: it can leave a pair unmade that a different choice would have allowed, but
it is easy to explain to a lead, stable, and the lead adjusts it before confirming.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Person:
    id: uuid.UUID
    specialty: str
    site: str
    department: str
    since: datetime
    """When they volunteered or asked: who has waited longest goes first."""


@dataclass(frozen=True, slots=True)
class Proposal:
    senior: uuid.UUID
    junior: uuid.UUID
    same_specialty: bool
    same_site: bool


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def same_department(a: Person, b: Person) -> bool:
    """The hard rule: a pair is never made within one department (at one site)."""
    return _norm(a.site) == _norm(b.site) and _norm(a.department) == _norm(b.department)


def propose(seniors: list[Person], juniors: list[Person], *, prefer_same_specialty: bool,
            prefer_same_site: bool) -> list[Proposal]:
    """The pairs to propose, best first; anyone left over waits for the next volunteer."""
    candidates = []
    for junior in juniors:
        for senior in seniors:
            if same_department(senior, junior):
                continue
            specialty = _norm(senior.specialty) == _norm(junior.specialty)
            site = _norm(senior.site) == _norm(junior.site)
            score = (prefer_same_specialty and specialty) + (prefer_same_site and site)
            candidates.append(((-score, junior.since, senior.since, junior.id, senior.id),
                               Proposal(senior.id, junior.id, specialty, site)))
    candidates.sort(key=lambda c: c[0])
    taken: set[uuid.UUID] = set()
    chosen = []
    for _, proposal in candidates:
        if proposal.senior in taken or proposal.junior in taken:
            continue
        taken.update((proposal.senior, proposal.junior))
        chosen.append(proposal)
    return chosen
