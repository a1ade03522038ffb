"""Who has the floor: the audio the server forwards, and the raised-hand queue.

``audible`` is a pure function of the current phase, the people in the room and who is speaking.
Without hold-the-floor (the default) everyone is heard and the floor rule is a social one shown
in the interface; with hold-the-floor only the voices the rule names are forwarded. Push-back is
the exception: the presenter listens silently, so their audio is never forwarded in it.
Facilitators are always heard (except a facilitator who is the push-back presenter).

The hand queue is an immutable value: members raise and lower their own hands, facilitators
give the floor. ``ordered`` can sort it by least speaking time this session; those figures are
passed in and never stored here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from pydantic import BaseModel, ConfigDict

from app.rounds.errors import IllegalTransition, NotAllowed, UnknownParticipant
from app.rounds.events import Actor, Role
from app.rounds.phases import FloorRule, Phase

_CONTROL = frozenset({Role.facilitator, Role.co_facilitator})


def audible(
    phase: Phase,
    *,
    participants: Collection[str],
    facilitators: Collection[str],
    speaker: str | None = None,
    presenter: str | None = None,
    floor_holder: str | None = None,
) -> frozenset[str]:
    """The participants whose audio the server forwards in ``phase``.

    ``speaker`` is the round's current speaker (``engine.speaker``) or the presenter during a
    presentation; ``floor_holder`` is whoever a facilitator gave the floor from the hand queue.
    """
    everyone = frozenset(participants)
    leads = everyone & frozenset(facilitators)
    if phase.floor is FloorRule.presenter_muted:
        return everyone - {presenter} if presenter is not None else everyone
    if not phase.hold_floor:
        return everyone
    if phase.floor is FloorRule.facilitator:
        return leads
    named = speaker if phase.floor is FloorRule.speaker else floor_holder
    return leads | ({named} & everyone if named is not None else frozenset())


class Hands(BaseModel):
    """Raised hands in the order they went up, and who has been given the floor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    raised: tuple[str, ...] = ()
    floor: str | None = None


def raise_hand(hands: Hands, actor: Actor) -> Hands:
    """The actor raises their hand (at the back of the queue)."""
    if actor.id in hands.raised:
        raise IllegalTransition("your hand is already raised")
    return hands.model_copy(update={"raised": (*hands.raised, actor.id)})


def lower_hand(hands: Hands, actor: Actor, participant_id: str | None = None) -> Hands:
    """Lower a hand: one's own, or anyone's by a facilitator."""
    target = participant_id if participant_id is not None else actor.id
    if target != actor.id and actor.role not in _CONTROL:
        raise NotAllowed("only a facilitator can lower someone else's hand")
    if target not in hands.raised:
        raise UnknownParticipant(f"{target!r} has no raised hand")
    return hands.model_copy(update={"raised": tuple(p for p in hands.raised if p != target)})


def give_floor(hands: Hands, actor: Actor, participant_id: str) -> Hands:
    """A facilitator gives the floor to a raised hand; that hand comes down."""
    if actor.role not in _CONTROL:
        raise NotAllowed("only a facilitator can give the floor")
    if participant_id not in hands.raised:
        raise UnknownParticipant(f"{participant_id!r} has no raised hand")
    raised = tuple(p for p in hands.raised if p != participant_id)
    return Hands(raised=raised, floor=participant_id)


def take_floor_back(hands: Hands, actor: Actor) -> Hands:
    """The floor returns to the facilitators (by a facilitator or the holder)."""
    if actor.role not in _CONTROL and actor.id != hands.floor:
        raise NotAllowed("only a facilitator or the floor holder can hand the floor back")
    if hands.floor is None:
        raise IllegalTransition("nobody holds the floor")
    return hands.model_copy(update={"floor": None})


def ordered(hands: Hands, *, speaking_time: Mapping[str, float] | None = None) -> tuple[str, ...]:
    """The queue as shown to facilitators: raise order, or least speaking time first."""
    if speaking_time is None:
        return hands.raised
    rank = {p: i for i, p in enumerate(hands.raised)}
    return tuple(sorted(hands.raised, key=lambda p: (speaking_time.get(p, 0.0), rank[p])))
