"""The initial order of a round: join order, alphabetical, seeded random, or set by hand."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from enum import StrEnum

from app.rounds.errors import InvalidOrder


class OrderRule(StrEnum):
    """How the initial order of a round is chosen."""

    join_order = "join_order"
    alphabetical = "alphabetical"
    random = "random"
    manual = "manual"


def order_participants(
    participant_ids: Sequence[str],
    rule: OrderRule,
    *,
    seed: int | str | None = None,
    names: Mapping[str, str] | None = None,
    manual: Sequence[str] | None = None,
) -> tuple[str, ...]:
    """The initial order: join order as given, alphabetical by name, seeded random, or by hand."""
    ids = tuple(participant_ids)
    if len(set(ids)) != len(ids):
        raise InvalidOrder("a participant is listed twice")
    if rule is OrderRule.join_order:
        return ids
    if rule is OrderRule.alphabetical:
        names = names or {}
        return tuple(sorted(ids, key=lambda p: (names.get(p, p).casefold(), p)))
    if rule is OrderRule.random:
        if seed is None:
            raise InvalidOrder("a random order needs a seed")
        shuffled = list(ids)
        random.Random(seed).shuffle(shuffled)
        return tuple(shuffled)
    if manual is None or len(manual) != len(ids) or set(manual) != set(ids):
        raise InvalidOrder("a manual order must list every participant exactly once")
    return tuple(manual)
