"""When a live session's clocks next need the runtime, and what is due then.

Time up only warns: nothing here mutes anyone or moves on (DOMAIN.md). Pure, like ``actions``.
"""

from __future__ import annotations

from app.facilitation import pairing
from app.facilitation.actions import turn_notices
from app.facilitation.messages import Notice, PhaseWarning
from app.facilitation.state import Live, Result, bump
from app.rounds import clock, engine, sequence
from app.rounds.events import SYSTEM, Tick
from app.rounds.pairs import PairsStatus
from app.rounds.states import RoundStatus


def next_deadline(live: Live, now: float) -> float | None:
    """When ``tick`` should run next, or None."""
    times = []
    if live.round is not None and live.round.status is not RoundStatus.ended:
        due = engine.next_deadline(live.round, now)
        if due is not None:
            times.append(due.at)
    if live.sequence is not None:
        upcoming = sequence.next_deadline(live.sequence, now)
        if upcoming is not None:
            times.append(upcoming[0])
    bell = pairing.next_deadline(live)
    if bell is not None:
        times.append(bell)
    return min(times) if times else None


def tick(live: Live, now: float) -> Result:
    """Issue due warnings and grace expiries (never mutes, never moves on at time up)."""
    new, notices = live, list[Notice]()
    if new.round is not None and new.round.status is not RoundStatus.ended:
        due = engine.next_deadline(new.round, now)
        if due is not None and due.at <= now:
            state, outputs = engine.apply(new.round, Tick(actor=SYSTEM), now)
            new = bump(new, round=state)
            notices += turn_notices(outputs)
    if new.sequence is not None:
        seq, warning = sequence.tick(new.sequence, now)
        if warning is not None:
            new = bump(new, sequence=seq)
            assert seq.clock is not None
            left = warning is clock.WarningKind.one_minute_left
            seconds = clock.remaining(seq.clock, now) if left else clock.overrun(seq.clock, now)
            if new.pairs is None or new.pairs.status is not PairsStatus.running:
                # in pairs, the pairs' own bells say it (to each group)
                notices.append(PhaseWarning(warning=warning, seconds=round(seconds, 3)))
    new, bells = pairing.tick(new, now)
    return new, notices + bells, []
