"""Pairs and triads: a pairs phase splits the members present into small rooms, then brings
everyone back to the whole group together at the bell.

Theory of operation
-------------------
A ``Pairs`` value is ``arranged`` (the facilitator sees who is with whom and can rearrange),
``running`` (each group is its own small room: the SFU forwards media only inside it) or
``returned`` (everyone is back in the whole group). The transition table ``PAIRS_TABLE`` says
which action is allowed in which status; an action that is not allowed raises ``EngineError``
and leaves the value as it was. Like the round engine: immutable values, no I/O, no wall clock
(``now`` is an argument), the service feeds ``tick`` at ``next_deadline``.

One clock for all groups (they return together): a group of two swaps speaker and listener at
half time, a triad at each third (``swap`` bells, per group); one minute before the return a
warning; at time up the bell brings everyone back (``returned``). The facilitator may give one
more minute, bring everyone back early, or visit one group (announced to it) and come back.
Someone who drops out of a group is taken out of it: when they come back they are in the whole
group, and the partner is told (``drop`` returns the group to tell).

Arranging (``arrange``): ``random`` (seeded, so a test can repeat it), ``kept`` (the groups of
the last pairs phase, with whoever is new or left alone arranged at random) or ``manual`` (the
facilitator's groups, each present member exactly once; facilitators only if named). An odd
number makes a triad; with triads, what does not divide by three makes pairs.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from app.rounds import clock
from app.rounds.clock import Clock, WarningKind
from app.rounds.errors import IllegalTransition, InvalidPlan

MAX_GROUP = 3


class PairsStatus(StrEnum):
    """Where a pairs phase's small rooms are."""

    arranged = "arranged"
    running = "running"
    returned = "returned"


class PairsMove(StrEnum):
    """What the facilitator (or the clock, for tick; presence, for drop) does to the pairs."""

    arrange = "arrange"
    start = "start"
    extend = "extend"
    visit = "visit"
    drop = "drop"
    tick = "tick"
    bring_back = "bring_back"


class Arrangement(StrEnum):
    """How the groups are made."""

    random = "random"
    kept = "kept"
    manual = "manual"


class PairsBell(StrEnum):
    """What the pairs' clock rings."""

    swap = "swap"
    one_minute_left = "one_minute_left"
    returned = "returned"


_S, _A = PairsStatus, PairsMove
PAIRS_TABLE: Mapping[tuple[PairsStatus, PairsMove], frozenset[PairsStatus]] = {
    (_S.arranged, _A.arrange): frozenset({_S.arranged}),
    (_S.returned, _A.arrange): frozenset({_S.arranged}),
    (_S.arranged, _A.start): frozenset({_S.running}),
    (_S.running, _A.extend): frozenset({_S.running}),
    (_S.running, _A.visit): frozenset({_S.running}),
    (_S.arranged, _A.drop): frozenset({_S.arranged}),
    (_S.running, _A.drop): frozenset({_S.running}),
    (_S.running, _A.tick): frozenset({_S.running, _S.returned}),
    (_S.running, _A.bring_back): frozenset({_S.returned}),
}

Groups = tuple[tuple[str, ...], ...]


class Pairs(BaseModel):
    """The small rooms of one pairs phase; persisted with the live state."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    groups: Groups
    status: PairsStatus = PairsStatus.arranged
    clock: Clock | None = None
    swaps: tuple[int, ...] = ()
    """Per group, the swap bells already rung."""
    visitors: tuple[tuple[str, int], ...] = ()
    """Facilitators visiting a group: (participant, group index)."""
    version: int = 0


def _check(p: Pairs, action: PairsMove) -> frozenset[PairsStatus]:
    allowed = PAIRS_TABLE.get((p.status, action))
    if allowed is None:
        raise IllegalTransition(f"cannot {action.value} while the pairs are {p.status}")
    return allowed


def _done(p: Pairs, allowed: frozenset[PairsStatus], **update: object) -> Pairs:
    new = p.model_copy(update={**update, "version": p.version + 1})
    assert new.status in allowed
    return new


def sizes(n: int, size: int) -> list[int]:
    """The group sizes for ``n`` people in groups of ``size`` (2 or 3)."""
    if n < 2:
        raise InvalidPlan("pairs need at least two people")
    if size == 2:
        return [2] * (n // 2 - 1) + [2 + n % 2]
    triads, rest = divmod(n, 3)
    if rest == 0:
        return [3] * triads
    if rest == 2:
        return [3] * triads + [2]
    return [3] * (triads - 1) + [2, 2]


def _chunk(ids: Sequence[str], size: int) -> Groups:
    groups, at = [], 0
    for n in sizes(len(ids), size):
        groups.append(tuple(ids[at:at + n]))
        at += n
    return tuple(groups)


def form(ids: Sequence[str], how: Arrangement, *, size: int = 2, seed: int = 0,
         last: Groups = (), manual: Groups = ()) -> Groups:
    """The groups for the people ``ids`` (in join order)."""
    if how is Arrangement.manual:
        return _manual(ids, manual)
    if how is Arrangement.random or not last:
        shuffled = list(ids)
        random.Random(seed).shuffle(shuffled)
        return _chunk(shuffled, size)
    present = set(ids)
    kept = [g for g in (tuple(p for p in group if p in present) for group in last) if len(g) > 1]
    placed = {p for g in kept for p in g}
    pool = [p for p in ids if p not in placed]
    random.Random(seed).shuffle(pool)
    if len(pool) == 1:  # one newcomer or one left alone: the smallest kept group takes them
        if not kept:
            raise InvalidPlan("pairs need at least two people")
        smallest = min(range(len(kept)), key=lambda i: len(kept[i]))
        kept[smallest] = (*kept[smallest], pool[0])
        return tuple(kept)
    return (*kept, *(_chunk(pool, size) if pool else ()))


def _manual(ids: Sequence[str], groups: Groups) -> Groups:
    named = [p for g in groups for p in g]
    if len(named) != len(set(named)):
        raise InvalidPlan("each person is in one group only")
    if set(named) != set(ids):
        raise InvalidPlan("the groups must name everyone who is in pairs, and only them")
    if any(not 2 <= len(g) <= MAX_GROUP for g in groups):
        raise InvalidPlan(f"a group has 2 to {MAX_GROUP} people")
    return tuple(tuple(g) for g in groups)


def arrange(p: Pairs | None, groups: Groups) -> Pairs:
    """New groups (before they go, or after they came back for another go)."""
    if p is not None:
        allowed = _check(p, PairsMove.arrange)
        return _done(p, allowed, groups=groups, status=PairsStatus.arranged, clock=None,
                     swaps=(), visitors=())
    return Pairs(groups=groups)


def start(p: Pairs, seconds: float, now: float) -> Pairs:
    """Send everyone into their group; the clock runs for ``seconds``."""
    allowed = _check(p, PairsMove.start)
    if not p.groups or any(len(g) < 2 for g in p.groups):
        raise InvalidPlan("someone would be alone: arrange the groups again")
    return _done(p, allowed, status=PairsStatus.running, clock=clock.start_clock(now, seconds),
                 swaps=tuple(0 for _ in p.groups))


def extend(p: Pairs, seconds: float, now: float) -> Pairs:
    """More time before everyone comes back."""
    allowed = _check(p, PairsMove.extend)
    assert p.clock is not None
    return _done(p, allowed, clock=clock.extend(p.clock, seconds, now))


def visit(p: Pairs, participant: str, group: int | None) -> Pairs:
    """A facilitator joins a group (``group``), or comes back to the whole group (None)."""
    allowed = _check(p, PairsMove.visit)
    if group is not None and not 0 <= group < len(p.groups):
        raise InvalidPlan(f"there is no group {group + 1}")
    visitors = tuple(v for v in p.visitors if v[0] != participant)
    if group is not None:
        visitors = (*visitors, (participant, group))
    return _done(p, allowed, visitors=visitors)


def group_of(p: Pairs, participant: str) -> int | None:
    """The index of the group ``participant`` is in (a member, or a visiting facilitator)."""
    for i, g in enumerate(p.groups):
        if participant in g:
            return i
    return next((i for who, i in p.visitors if who == participant), None)


def drop(p: Pairs, participant: str) -> tuple[Pairs, int | None]:
    """``participant`` dropped or left: out of their group (back in the whole group when they
    return). The group they were in, or None (nothing changes)."""
    if participant not in {who for who, _ in p.visitors} and \
            all(participant not in g for g in p.groups):
        return p, None
    allowed = _check(p, PairsMove.drop)
    where = group_of(p, participant)
    groups = tuple(tuple(x for x in g if x != participant) for g in p.groups)
    visitors = tuple(v for v in p.visitors if v[0] != participant)
    return _done(p, allowed, groups=groups, visitors=visitors), where


def bring_back(p: Pairs) -> Pairs:
    """Everyone back in the whole group now."""
    allowed = _check(p, PairsMove.bring_back)
    return _done(p, allowed, status=PairsStatus.returned, clock=None, visitors=())


def _swap_marks(size: int, allotted: float) -> list[float]:
    return [allotted * k / size for k in range(1, size)] if size > 1 else []


def next_deadline(p: Pairs) -> float | None:
    """When ``tick`` should run next (a swap bell, the warning, the return), or None."""
    if p.status is not PairsStatus.running or p.clock is None:
        return None
    c = p.clock
    start = c.deadline - c.allotted  # the clock never pauses: used = now - start
    times = [start + mark for g, rung in zip(p.groups, p.swaps, strict=True)
             for mark in _swap_marks(len(g), c.allotted)[rung:rung + 1]]
    warning = clock.next_warning_at(c)
    if warning is not None:
        times.append(min(warning[0], c.deadline))
    return min(times)


def tick(p: Pairs, now: float) -> tuple[Pairs, list[tuple[PairsBell, int | None]]]:
    """Ring what is due: swap bells (with their group), the minute warning, the return."""
    allowed = _check(p, PairsMove.tick)
    assert p.clock is not None
    used = clock.used(p.clock, now)
    if used >= p.clock.allotted:
        return _done(p, allowed, status=PairsStatus.returned, clock=None,
                     visitors=()), [(PairsBell.returned, None)]
    bells: list[tuple[PairsBell, int | None]] = []
    swaps = list(p.swaps)
    for i, g in enumerate(p.groups):
        marks = _swap_marks(len(g), p.clock.allotted)
        while swaps[i] < len(marks) and marks[swaps[i]] <= used:
            swaps[i] += 1
            bells.append((PairsBell.swap, i))
    warned, warning = clock.due_warning(p.clock, now)
    if warning is WarningKind.one_minute_left:
        bells.append((PairsBell.one_minute_left, None))
    if not bells and warned == p.clock:
        return p, []
    return _done(p, allowed, clock=warned, swaps=tuple(swaps)), bells


def rooms(p: Pairs | None) -> Groups | None:
    """The small rooms the SFU keeps apart (members and visitors), None when all are one."""
    if p is None or p.status is not PairsStatus.running:
        return None
    return tuple((*g, *(who for who, i in p.visitors if i == n)) for n, g in enumerate(p.groups))
