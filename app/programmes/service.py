"""Programmes: who may run one (a programme lead, their own only), its rules, its facilitators
and the people its lead imports."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.core.errors import Forbidden, Invalid, NotFound
from app.programmes import importing
from app.programmes.models import Person, Programme, ProgrammeFacilitator
from app.programmes.schemas import FacilitatorIn, ProgrammeCreate, ProgrammeRules


class RowsInvalid(Invalid):
    """An import with bad rows: nothing was imported; ``rows`` says what is wrong where."""

    def __init__(self, rows: list[importing.RowError]) -> None:
        n = len({r.row for r in rows})
        super().__init__("csv_rows_invalid", f"{n} row{'s have' if n != 1 else ' has'} "
                         "problems: nothing was imported")
        self.rows = rows


def check_lead(account: Account) -> None:
    if not account.is_programme_lead:
        raise Forbidden("programme_lead_required", "only a programme lead can do this")


async def led_programme(db: AsyncSession, account: Account, programme_id: uuid.UUID
                        ) -> Programme:
    """The programme, if this account leads it (an admin does not see into it either)."""
    check_lead(account)
    programme = await db.get(Programme, programme_id)
    if programme is None or programme.lead_id != account.id:
        raise NotFound("programme_not_found", "no such programme of yours")
    return programme


async def list_programmes(db: AsyncSession, account: Account) -> list[Programme]:
    check_lead(account)
    return list(await db.scalars(select(Programme).where(Programme.lead_id == account.id)
                                 .order_by(Programme.name)))


async def create_programme(db: AsyncSession, lead: Account, body: ProgrammeCreate) -> Programme:
    check_lead(lead)
    programme = Programme(lead_id=lead.id, name=body.name.strip(), timezone=body.timezone,
                          **body.model_dump(include=set(ProgrammeRules.model_fields)))
    db.add(programme)
    await db.flush()
    return programme


async def update_rules(db: AsyncSession, programme: Programme, body: ProgrammeRules
                       ) -> Programme:
    for key, value in body.model_dump().items():
        setattr(programme, key, value)
    await db.flush()
    return programme


async def staff(db: AsyncSession) -> list[Account]:
    """Active accounts that may facilitate (every account can)."""
    return list(await db.scalars(select(Account).where(Account.disabled_at.is_(None))
                                 .order_by(func.lower(Account.display_name))))


async def facilitators(db: AsyncSession, programme: Programme
                       ) -> list[tuple[ProgrammeFacilitator, Account]]:
    rows = await db.execute(
        select(ProgrammeFacilitator, Account)
        .join(Account, Account.id == ProgrammeFacilitator.account_id)
        .where(ProgrammeFacilitator.programme_id == programme.id)
        .order_by(func.lower(Account.display_name)))
    return [(f, a) for f, a in rows]


async def set_facilitators(db: AsyncSession, programme: Programme, offered: list[FacilitatorIn]
                           ) -> list[tuple[ProgrammeFacilitator, Account]]:
    """Replace the programme's facilitators and their slots."""
    if len({f.account_id for f in offered}) != len(offered):
        raise Invalid("duplicate_facilitator", "a facilitator is offered once")
    for f in offered:
        account = await db.get(Account, f.account_id)
        if account is None or account.disabled_at is not None:
            raise NotFound("account_not_found", "no such active account")
        if set(f.slots) - set(programme.slots):
            raise Invalid("bad_slot", "a facilitator's slots must be the programme's")
    for old in await db.scalars(select(ProgrammeFacilitator).where(
            ProgrammeFacilitator.programme_id == programme.id)):
        await db.delete(old)
    await db.flush()
    for f in offered:
        db.add(ProgrammeFacilitator(programme_id=programme.id, account_id=f.account_id,
                                    slots=list(dict.fromkeys(f.slots)), max_groups=f.max_groups))
    await db.flush()
    return await facilitators(db, programme)


async def people(db: AsyncSession, programme: Programme) -> list[Person]:
    return list(await db.scalars(select(Person).where(Person.programme_id == programme.id)
                                 .order_by(func.lower(Person.name), Person.email)))


async def import_people(db: AsyncSession, programme: Programme, text: str) -> int:
    """Add the CSV's people, all or none (``RowsInvalid`` names every bad row)."""
    known = set(await db.scalars(select(Person.email).where(
        Person.programme_id == programme.id)))
    rows, errors = importing.parse(text, slots=programme.slots, known=known)
    if errors:
        raise RowsInvalid(errors)
    for row in rows:
        db.add(Person(programme_id=programme.id, name=row.name, email=row.email,
                      grade=row.grade, specialty=row.specialty, site=row.site,
                      cohort=row.cohort, rotation_start=row.rotation_start,
                      rotation_end=row.rotation_end, slots=list(row.slots),
                      avoid=list(row.avoid)))
    await db.flush()
    return len(rows)
