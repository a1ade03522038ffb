"""The signposting card and the check-out pulse.

The pulse is stored only as counts per session (``pulse_counts``): an answer adds one to the
count of its value, with no member, device or time. Figures are shown only when at least
``K`` people answered a question; over several sessions (a group's), only when what is left
after the sessions shown on their own is none or again at least ``K``, so no small session can
be read as the difference of two figures shown.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.checkout.models import PulseCount, SignpostingCard
from app.checkout.schemas import CardOut, PulseIn, PulseOut, QuestionFigures
from app.core.config import Signpost
from app.sessions.models import Session

K = 5
QUESTIONS = {"heard": ("1", "2", "3", "4", "5"), "again": ("yes", "no")}


async def card(db: AsyncSession, group_id: uuid.UUID, default: Sequence[Signpost]) -> CardOut:
    """The group's card, or the deployment's."""
    row = await db.scalar(select(SignpostingCard).where(SignpostingCard.group_id == group_id))
    if row is None:
        return CardOut(entries=list(default), is_default=True)
    return CardOut(entries=[Signpost.model_validate(e) for e in json.loads(row.entries)],
                   is_default=False)


async def set_card(db: AsyncSession, group_id: uuid.UUID, entries: Sequence[Signpost]) -> None:
    """Give the group its own card (replacing the one it had)."""
    text = json.dumps([e.model_dump() for e in entries])
    row = await db.scalar(select(SignpostingCard).where(SignpostingCard.group_id == group_id))
    if row is None:
        db.add(SignpostingCard(group_id=group_id, entries=text))
    else:
        row.entries = text
    await db.flush()


async def reset_card(db: AsyncSession, group_id: uuid.UUID) -> None:
    """Back to the deployment's card."""
    await db.execute(delete(SignpostingCard).where(SignpostingCard.group_id == group_id))


async def answer(db: AsyncSession, session_id: uuid.UUID, pulse: PulseIn) -> None:
    """Count one answer (the skipped questions are not counted)."""
    given = {"heard": None if pulse.heard is None else str(pulse.heard),
             "again": None if pulse.again is None else ("yes" if pulse.again else "no")}
    for question, value in given.items():
        if value is None:
            continue
        insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
        await db.execute(  # one statement: two answers at once both count
            insert(PulseCount)
            .values(session_id=session_id, question=question, answer=value, count=1)
            .on_conflict_do_update(index_elements=["session_id", "question", "answer"],
                                   set_={"count": PulseCount.count + 1}))


async def _counts(db: AsyncSession, session_ids: Sequence[uuid.UUID]
                  ) -> dict[uuid.UUID, dict[str, dict[str, int]]]:
    rows = await db.scalars(select(PulseCount).where(PulseCount.session_id.in_(session_ids)))
    out: dict[uuid.UUID, dict[str, dict[str, int]]] = {}
    for r in rows:
        out.setdefault(r.session_id, {}).setdefault(r.question, {})[r.answer] = r.count
    return out


def _figures(counts: dict[str, int] | None) -> QuestionFigures:
    total = sum((counts or {}).values())
    if total < K:
        return QuestionFigures(shown=False, answers=None, counts=None)
    return QuestionFigures(shown=True, answers=total, counts=dict(counts or {}))


async def session_figures(db: AsyncSession, session_id: uuid.UUID) -> PulseOut:
    """One session's figures (each question only if at least ``K`` answered it)."""
    counts = (await _counts(db, [session_id])).get(session_id, {})
    return PulseOut(**{q: _figures(counts.get(q)) for q in QUESTIONS})


async def group_figures(db: AsyncSession, group_id: uuid.UUID) -> PulseOut:
    """A group's figures over all its sessions (see ``pooled_figures``)."""
    return await pooled_figures(db, [group_id])


async def pooled_figures(db: AsyncSession, group_ids: Sequence[uuid.UUID]) -> PulseOut:
    """The figures of every session of these groups (one group's, or a programme's), shown only
    if what is not already shown per session is none or at least ``K`` (no small session read
    as a difference)."""
    ids = list(await db.scalars(select(Session.id).where(Session.group_id.in_(group_ids))))
    per_session = await _counts(db, ids)
    result = {}
    for q, values in QUESTIONS.items():
        pooled = {v: sum(s.get(q, {}).get(v, 0) for s in per_session.values()) for v in values}
        pooled = {v: n for v, n in pooled.items() if n}
        alone = [sum(s.get(q, {}).values()) for s in per_session.values()]
        rest = sum(n for n in alone if n < K)
        figures = _figures(pooled)
        if 0 < rest < K:
            figures = QuestionFigures(shown=False, answers=None, counts=None)
        result[q] = figures
    return PulseOut(**result)


def csv_rows(group_name: str, figures: PulseOut) -> list[list[str]]:
    """The group's aggregates for programme evaluation: one row per answer shown."""
    if group_name[:1] in ("=", "+", "-", "@", "\t", "\r"):  # never a formula in a spreadsheet
        group_name = "'" + group_name
    rows = [["group", "question", "answer", "count"]]
    for q, values in QUESTIONS.items():
        f: QuestionFigures = getattr(figures, q)
        if f.shown and f.counts is not None:
            rows += [[group_name, q, v, str(f.counts.get(v, 0))] for v in values]
    return rows
