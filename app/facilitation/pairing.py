"""The pairs phase in a live session: arranging the small rooms, sending everyone into them, the
bells, visits, drops, and everyone back together (the engine is ``app.rounds.pairs``).

When a pairs phase begins, the members present are arranged at random (or as last time, if this
session or the group's last one had pairs: ``Live.last_pairs``, carried between a group's
sessions in the runtime's memory only); the facilitator can rearrange, then sends everyone into
their group, for the time left in the phase. The runtime tells the SFU to keep the groups apart
(``pairs.rooms``), so each group hears and sees only itself. Moving on from the phase brings
everyone back. Pure, like ``actions``.
"""

from __future__ import annotations

from app.facilitation.errors import LiveError
from app.facilitation.messages import Notice, PairsNotice, PairsRequest
from app.facilitation.state import (
    Live,
    Presence,
    Result,
    actor,
    bump,
    current_phase,
    need_control,
)
from app.members.models import FACILITATING
from app.rounds import pairs, sequence
from app.rounds.phases import MIN_PHASE_SECONDS, PhaseKind
from app.rounds.sequence import SequenceStatus


def in_pairs(live: Live, presence: Presence, facilitators: bool = False) -> list[str]:
    """Who goes into pairs: the members present (and the facilitators, if they take part)."""
    return [p for p, r in presence.roles.items() if facilitators or r not in FACILITATING]


def _size(live: Live) -> int:
    phase = current_phase(live)
    return phase.group_size or 2 if phase is not None else 2


def _pairs_phase(live: Live) -> bool:
    phase, seq = current_phase(live), live.sequence
    return (phase is not None and seq is not None and phase.kind is PhaseKind.pairs
            and seq.status in (SequenceStatus.running, SequenceStatus.paused))


def phase_moved(live: Live, presence: Presence) -> Live:
    """After the phase moved: leaving a pairs phase brings everyone back (its groups are kept
    for next time); entering one arranges the members present (if there are two or more)."""
    if live.pairs is not None:
        live = live.model_copy(update={"last_pairs": live.pairs.groups or live.last_pairs,
                                       "pairs": None})
    if not _pairs_phase(live):
        return live
    ids = in_pairs(live, presence)
    if len(ids) < 2:
        return live
    how = pairs.Arrangement.kept if live.last_pairs else pairs.Arrangement.random
    groups = pairs.form(ids, how, size=_size(live), seed=live.version, last=live.last_pairs)
    return live.model_copy(update={"pairs": pairs.arrange(None, groups)})


def on_pairs(live: Live, a: PairsRequest, sender: str, presence: Presence, now: float) -> Result:
    """The facilitator's pairs actions."""
    need_control(live, sender)
    if not _pairs_phase(live):
        raise LiveError("no_pairs", "the current phase is not a pairs phase")
    p = live.pairs
    if a.action == "arrange":
        how = a.arrangement or pairs.Arrangement.random
        ids = in_pairs(live, presence, bool(a.facilitators))
        if how is pairs.Arrangement.manual:  # every member present; facilitators if named
            named = {p for g in a.groups or () for p in g}
            ids = [p for p in presence.roles if p in named or p in ids]
        groups = pairs.form(ids, how, size=_size(live), seed=live.version,
                            last=live.last_pairs, manual=a.groups or ())
        return bump(live, pairs=pairs.arrange(p, groups)), [], []
    if p is None:
        raise LiveError("no_pairs", "arrange the pairs first")
    notices: list[Notice] = []
    if a.action == "start":
        assert live.sequence is not None
        left = sequence.remaining(live.sequence, now) or 0.0
        p = pairs.start(p, max(float(MIN_PHASE_SECONDS), round(left)), now)
        notices.append(PairsNotice(event="start"))
    elif a.action == "extend":
        p = pairs.extend(p, 60, now)  # the phase gets the same minute
        assert live.sequence is not None
        live = live.model_copy(update={"sequence": sequence.extend(
            live.sequence, actor(live, sender, "facilitator"), 60, now)})
    elif a.action == "visit":
        before = pairs.group_of(p, sender)
        p = pairs.visit(p, sender, a.group)
        if before is not None:
            notices.append(PairsNotice(event="visit_end", group=before, participant_id=sender,
                                       to=p.groups[before]))
        if a.group is not None:
            notices.append(PairsNotice(event="visit", group=a.group, participant_id=sender,
                                       to=p.groups[a.group]))
    else:
        p = pairs.bring_back(p)
        notices.append(PairsNotice(event=pairs.PairsBell.returned))
    return bump(live, pairs=p), notices, []


def dropped(live: Live, participant: str) -> tuple[Live, list[Notice]]:
    """Someone dropped or left: out of their group; the others of the group are told."""
    if live.pairs is None:
        return live, []
    p, where = pairs.drop(live.pairs, participant)
    if where is None:
        return live, []
    notices: list[Notice] = []
    if p.status is pairs.PairsStatus.running and p.groups[where]:
        notices.append(PairsNotice(event="partner_left", group=where, participant_id=participant,
                                   to=p.groups[where]))
    return bump(live, pairs=p), notices


def next_deadline(live: Live) -> float | None:
    """When the pairs' clock next rings, or None."""
    return None if live.pairs is None else pairs.next_deadline(live.pairs)


def tick(live: Live, now: float) -> tuple[Live, list[Notice]]:
    """Ring the due bells: a group's swap (to that group), the minute warning, the return."""
    p = live.pairs
    if p is None or p.status is not pairs.PairsStatus.running:
        return live, []
    new, bells = pairs.tick(p, now)
    if new is p:
        return live, []
    notices: list[Notice] = [
        PairsNotice(event=bell, group=group, to=p.groups[group] if group is not None else None)
        for bell, group in bells]
    return bump(live, pairs=new), notices
