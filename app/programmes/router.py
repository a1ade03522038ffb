"""Programmes over HTTP, for their programme lead only: rules, facilitators, the people import,
the allocation (propose, move, confirm), the change-over, and the figures (counts, no names).
Every change is audited by ids and counts."""

from __future__ import annotations

import uuid
from collections import defaultdict

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import CurrentAccount
from app.accounts.models import Account
from app.audit.service import Action, Actor, record
from app.core.db import utcnow
from app.core.deps import DbSession, SettingsDep
from app.core.handlers import error_body
from app.core.rooms import Rooms
from app.mail.postbox import PostboxDep
from app.programmes import placing, service
from app.programmes.figures import figures
from app.programmes.models import Person, Programme, ProgrammeFacilitator
from app.programmes.schemas import (
    AllocationOut,
    Changeover,
    ChangeoverIn,
    Confirmed,
    ConfirmIn,
    FacilitatorIn,
    FacilitatorOut,
    Figures,
    Imported,
    ImportIn,
    MoveIn,
    PersonOut,
    PlacementOut,
    ProgrammeCreate,
    ProgrammeOut,
    ProgrammeRules,
    RowProblem,
    StaffOut,
)

router = APIRouter(tags=["programmes"])


async def _audit(db: AsyncSession, account_id: uuid.UUID, action: Action, programme: Programme,
                 **detail: int | bool | str | None) -> None:
    await record(db, actor=Actor.account(account_id), action=action, object_type="programme",
                 object_id=programme.id, detail=detail or None)


def _person(p: Person) -> PersonOut:
    return PersonOut(
        id=p.id, name=p.name, grade=p.grade, specialty=p.specialty, site=p.site,
        cohort=p.cohort, rotation_start=p.rotation_start, rotation_end=p.rotation_end,
        slots=p.slots, keep_apart=len(p.avoid), status=p.status, placement_id=p.placement_id)


async def _allocation(db: AsyncSession, programme: Programme, problems: list[str]
                      ) -> AllocationOut:
    everyone = await service.people(db, programme)
    names = {a.id: a.display_name for _, a in await service.facilitators(db, programme)}
    by_placement: dict[uuid.UUID | None, list[PersonOut]] = defaultdict(list)
    for p in everyone:
        by_placement[p.placement_id].append(_person(p))
    shown = [PlacementOut(id=pl.id, number=pl.number, slot=pl.slot, cohort=pl.cohort,
                          facilitator=names.get(pl.facilitator_id, "") if pl.facilitator_id
                          else "", confirmed=pl.group_id is not None,
                          people=by_placement[pl.id])
             for pl in await placing.placements(db, programme)]
    return AllocationOut(
        rules=ProgrammeRules.model_validate(programme, from_attributes=True), placements=shown,
        unplaced=[p for p in by_placement[None] if p.status == "imported"],
        problems=problems, violations=await placing.violations(db, programme))


@router.get("/programmes", response_model=list[ProgrammeOut])
async def list_programmes(account: CurrentAccount, db: DbSession) -> object:
    """The programmes this programme lead runs."""
    return await service.list_programmes(db, account)


@router.post("/programmes", response_model=ProgrammeOut, status_code=201)
async def create_programme(body: ProgrammeCreate, account: CurrentAccount, db: DbSession
                           ) -> object:
    """Start a programme (programme lead): its slots and allocation rules."""
    programme = await service.create_programme(db, account, body)
    await _audit(db, account.id, Action.programme_create, programme)
    return programme


@router.get("/programmes/{programme_id}", response_model=ProgrammeOut)
async def get_programme(programme_id: uuid.UUID, account: CurrentAccount, db: DbSession
                        ) -> object:
    return await service.led_programme(db, account, programme_id)


@router.put("/programmes/{programme_id}/rules", response_model=ProgrammeOut)
async def update_rules(programme_id: uuid.UUID, body: ProgrammeRules, account: CurrentAccount,
                       db: DbSession) -> object:
    """Change the slots, sizes and mixing rules the next allocation follows."""
    programme = await service.led_programme(db, account, programme_id)
    await _audit(db, account.id, Action.programme_edit, programme)
    return await service.update_rules(db, programme, body)


@router.get("/programmes/{programme_id}/staff", response_model=list[StaffOut])
async def list_staff(programme_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """Accounts that could facilitate this programme's groups (their names only)."""
    await service.led_programme(db, account, programme_id)
    return [StaffOut(id=a.id, display_name=a.display_name) for a in await service.staff(db)]


def _facilitators(rows: list[tuple[ProgrammeFacilitator, Account]]) -> list[FacilitatorOut]:
    return [FacilitatorOut(account_id=f.account_id, display_name=a.display_name,
                           slots=f.slots, max_groups=f.max_groups) for f, a in rows]


@router.get("/programmes/{programme_id}/facilitators", response_model=list[FacilitatorOut])
async def list_facilitators(programme_id: uuid.UUID, account: CurrentAccount, db: DbSession
                            ) -> object:
    programme = await service.led_programme(db, account, programme_id)
    return _facilitators(await service.facilitators(db, programme))


@router.put("/programmes/{programme_id}/facilitators", response_model=list[FacilitatorOut])
async def set_facilitators(programme_id: uuid.UUID, body: list[FacilitatorIn],
                           account: CurrentAccount, db: DbSession) -> object:
    """Offer facilitators to the allocation, with the slots each can make."""
    programme = await service.led_programme(db, account, programme_id)
    rows = await service.set_facilitators(db, programme, body)
    await _audit(db, account.id, Action.programme_edit, programme, facilitators=len(rows))
    return _facilitators(rows)


@router.post("/programmes/{programme_id}/import", response_model=Imported,
             responses={422: {"description": "`csv_rows_invalid`, with `rows`: each problem"}})
async def import_people(programme_id: uuid.UUID, body: ImportIn, account: CurrentAccount,
                        db: DbSession) -> object:
    """Import people from CSV, all or none: a bad row imports nothing, and the answer (422
    `csv_rows_invalid`) names every problem by row and column."""
    programme = await service.led_programme(db, account, programme_id)
    try:
        count = await service.import_people(db, programme, body.csv)
    except service.RowsInvalid as exc:
        rows = [RowProblem(row=r.row, column=r.column, problem=r.problem).model_dump()
                for r in exc.rows]
        return JSONResponse({**error_body(exc.code, exc.detail), "rows": rows}, status_code=422)
    await _audit(db, account.id, Action.programme_import, programme, people=count)
    return Imported(imported=count)


@router.get("/programmes/{programme_id}/people", response_model=list[PersonOut])
async def list_people(programme_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """The people the lead imported, with their place (never their attendance)."""
    programme = await service.led_programme(db, account, programme_id)
    return [_person(p) for p in await service.people(db, programme)]


@router.get("/programmes/{programme_id}/allocation", response_model=AllocationOut)
async def get_allocation(programme_id: uuid.UUID, account: CurrentAccount, db: DbSession
                         ) -> object:
    programme = await service.led_programme(db, account, programme_id)
    return await _allocation(db, programme, [])


@router.post("/programmes/{programme_id}/allocation", response_model=AllocationOut)
async def propose(programme_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """Propose an allocation of everyone not yet in a group (the solver): it replaces the last
    proposal; when there is none, `problems` says why and nothing changes."""
    programme = await service.led_programme(db, account, programme_id)
    outcome = await placing.propose(db, programme)
    await _audit(db, account.id, Action.programme_allocate, programme,
                 groups=len(outcome.groups), allocated=outcome.ok)
    return await _allocation(db, programme, outcome.problems)


@router.post("/programmes/{programme_id}/allocation/move", response_model=AllocationOut)
async def move(programme_id: uuid.UUID, body: MoveIn, account: CurrentAccount, db: DbSession
               ) -> object:
    """Move someone into another proposed group (422 `move_breaks_rule` says which rule)."""
    programme = await service.led_programme(db, account, programme_id)
    await placing.move(db, programme, body.person_id, body.placement_id)
    await _audit(db, account.id, Action.programme_move, programme)
    return await _allocation(db, programme, [])


@router.post("/programmes/{programme_id}/allocation/confirm", response_model=Confirmed)
async def confirm(programme_id: uuid.UUID, body: ConfirmIn, account: CurrentAccount,
                  db: DbSession, postbox: PostboxDep, settings: SettingsDep) -> object:
    """Make the proposed groups (each with its facilitator and a weekly series at its slot)
    and queue everyone's personal invite by email."""
    programme = await service.led_programme(db, account, programme_id)
    groups, invites = await placing.confirm(
        db, programme, account, postbox, first_date=body.first_date,
        duration_minutes=body.duration_minutes, invite_days=settings.invite_days, now=utcnow())
    await _audit(db, account.id, Action.programme_confirm, programme, groups=groups,
                 invites=invites)
    return Confirmed(groups=groups, invites=invites)


@router.post("/programmes/{programme_id}/changeover", response_model=Changeover)
async def changeover(programme_id: uuid.UUID, body: ChangeoverIn, account: CurrentAccount,
                     db: DbSession, postbox: PostboxDep, settings: SettingsDep, rooms: Rooms
                     ) -> object:
    """Rotation change-over: places of rotations ending by `on` end on their last day; the
    people not yet placed are offered the free places (personal invites by email)."""
    programme = await service.led_programme(db, account, programme_id)
    left, invited, unplaced = await placing.changeover(
        db, programme, account, postbox, on=body.on, invite_days=settings.invite_days,
        rooms=rooms)
    await _audit(db, account.id, Action.programme_changeover, programme, left=left,
                 invited=invited, unplaced=len(unplaced))
    return Changeover(left=left, invited=invited, unplaced=unplaced)


@router.get("/programmes/{programme_id}/figures", response_model=Figures)
async def get_figures(programme_id: uuid.UUID, account: CurrentAccount, db: DbSession
                      ) -> object:
    """Groups running, sessions held, attendance: counts, never names, never per session."""
    return await figures(db, await service.led_programme(db, account, programme_id))

