"""Near-peer pairing in the database: schemes, the people who volunteer or ask, their pairs.

Once two people are paired, only they see the pair (each through their own private link); the
scheme lead and admins see counts. Ending a pair deletes it and both people's rows, and adds
one to the scheme's count of ended pairs: nothing else of it stays.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.audit.service import ANONYMOUS, Action, Actor, record
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.security import new_token, token_hash
from app.pairing import matching
from app.pairing.models import Pair, PairingPerson, PairingScheme, Seniority
from app.pairing.schemas import (
    Counts,
    JoinScheme,
    Meeting,
    MyPairing,
    Partner,
    PersonOut,
    ProposalOut,
    SchemeDetail,
    SchemeIn,
    SchemeOut,
)

LINK_PAGE = "/pairing"


async def get_scheme(db: AsyncSession, scheme_id: uuid.UUID) -> PairingScheme:
    scheme = await db.get(PairingScheme, scheme_id)
    if scheme is None:
        raise NotFound("scheme_not_found", "no such pairing scheme")
    return scheme


async def led_scheme(db: AsyncSession, scheme_id: uuid.UUID, account: Account) -> PairingScheme:
    """A scheme its lead (or an admin) manages."""
    scheme = await get_scheme(db, scheme_id)
    if not account.is_admin and scheme.lead_id != account.id:
        raise Forbidden("not_scheme_lead", "only the scheme's lead can do this")
    return scheme


async def visible_schemes(db: AsyncSession, account: Account) -> list[PairingScheme]:
    query = select(PairingScheme).order_by(PairingScheme.name)
    if not account.is_admin:
        query = query.where(PairingScheme.lead_id == account.id)
    return list((await db.execute(query)).scalars())


async def create_scheme(db: AsyncSession, body: SchemeIn, *, by: Account) -> PairingScheme:
    lead_id = body.lead_id or by.id
    lead = await db.get(Account, lead_id)
    if lead is None or lead.disabled_at is not None:
        raise NotFound("account_not_found", "no such active account")
    scheme = PairingScheme(name=body.name.strip(), lead_id=lead.id,
                           link_key=secrets.token_urlsafe(18),
                           prefer_same_specialty=body.prefer_same_specialty,
                           prefer_same_site=body.prefer_same_site)
    db.add(scheme)
    await db.flush()
    await record(db, actor=Actor.account(by.id), action=Action.pairing_scheme_create,
                 object_type="pairing_scheme", object_id=scheme.id)
    return scheme


async def delete_scheme(db: AsyncSession, scheme: PairingScheme, *, by: Account
                        ) -> list[uuid.UUID]:
    """Delete a scheme with everyone in it and its pairs; the pairs' ids (to close rooms)."""
    pairs = list((await db.execute(select(Pair.id).where(Pair.scheme_id == scheme.id))).scalars())
    await db.execute(delete(Pair).where(Pair.scheme_id == scheme.id))
    await db.execute(delete(PairingPerson).where(PairingPerson.scheme_id == scheme.id))
    await db.delete(scheme)
    await record(db, actor=Actor.account(by.id), action=Action.pairing_scheme_delete,
                 object_type="pairing_scheme", object_id=scheme.id)
    return pairs


async def _waiting(db: AsyncSession, scheme_id: uuid.UUID) -> list[PairingPerson]:
    paired = select(Pair.senior_id).union(select(Pair.junior_id))
    return list((await db.execute(select(PairingPerson).where(
        PairingPerson.scheme_id == scheme_id, PairingPerson.id.not_in(paired)).order_by(
        PairingPerson.created_at, PairingPerson.id))).scalars())


async def counts(db: AsyncSession, scheme: PairingScheme) -> Counts:
    waiting = await _waiting(db, scheme.id)
    active = await db.scalar(select(func.count()).select_from(Pair).where(
        Pair.scheme_id == scheme.id)) or 0
    return Counts(seniors_waiting=sum(p.seniority is Seniority.senior for p in waiting),
                  juniors_waiting=sum(p.seniority is Seniority.junior for p in waiting),
                  pairs_active=active, pairs_ended=scheme.ended_pairs)


async def scheme_out(db: AsyncSession, scheme: PairingScheme) -> SchemeOut:
    return SchemeOut(id=scheme.id, name=scheme.name, lead_id=scheme.lead_id,
                     link=f"{LINK_PAGE}#{scheme.link_key}",
                     prefer_same_specialty=scheme.prefer_same_specialty,
                     prefer_same_site=scheme.prefer_same_site, counts=await counts(db, scheme))


def person_out(p: PairingPerson) -> PersonOut:
    return PersonOut(id=p.id, seniority=p.seniority, name=p.name, email=p.email,
                     specialty=p.specialty, site=p.site, department=p.department,
                     since=p.created_at)


async def detail(db: AsyncSession, scheme: PairingScheme) -> SchemeDetail:
    out = await scheme_out(db, scheme)
    return SchemeDetail(**out.model_dump(),
                        waiting=[person_out(p) for p in await _waiting(db, scheme.id)])


def _for_matching(p: PairingPerson) -> matching.Person:
    return matching.Person(p.id, p.specialty, p.site, p.department, p.created_at)


async def proposal(db: AsyncSession, scheme: PairingScheme) -> list[ProposalOut]:
    """The pairs the scheme proposes among everyone waiting (nothing is made yet)."""
    waiting = {p.id: p for p in await _waiting(db, scheme.id)}
    made = matching.propose(
        [_for_matching(p) for p in waiting.values() if p.seniority is Seniority.senior],
        [_for_matching(p) for p in waiting.values() if p.seniority is Seniority.junior],
        prefer_same_specialty=scheme.prefer_same_specialty,
        prefer_same_site=scheme.prefer_same_site)
    return [ProposalOut(senior=person_out(waiting[m.senior]), junior=person_out(waiting[m.junior]),
                        same_specialty=m.same_specialty, same_site=m.same_site) for m in made]


async def make_pair(db: AsyncSession, scheme: PairingScheme, senior_id: uuid.UUID,
                    junior_id: uuid.UUID, *, by: Account) -> Pair:
    """Pair a senior and a junior who are both waiting: never within one department."""
    waiting = {p.id: p for p in await _waiting(db, scheme.id)}
    senior, junior = waiting.get(senior_id), waiting.get(junior_id)
    if senior is None or junior is None:
        raise Conflict("not_waiting", "both people must be waiting to be matched in this scheme")
    if senior.seniority is not Seniority.senior or junior.seniority is not Seniority.junior:
        raise Invalid("senior_and_junior", "a pair is one senior who volunteered and one "
                      "junior who asked")
    if matching.same_department(_for_matching(senior), _for_matching(junior)):
        raise Conflict("same_department", "these two work in the same department: a pair is "
                       "never made within one")
    pair = Pair(scheme_id=scheme.id, senior_id=senior.id, junior_id=junior.id)
    db.add(pair)
    await db.flush()
    await record(db, actor=Actor.account(by.id), action=Action.pair_create,
                 object_type="pairing_scheme", object_id=scheme.id)
    return pair


# ---------------------------------------------------------------------- the people themselves

async def scheme_by_key(db: AsyncSession, key: str) -> PairingScheme:
    scheme = await db.scalar(select(PairingScheme).where(PairingScheme.link_key == key))
    if scheme is None:
        raise NotFound("scheme_link_unknown", "this link does not open a pairing scheme: ask "
                       "the scheme's lead for the current one")
    return scheme


async def join(db: AsyncSession, body: JoinScheme) -> str:
    """Volunteer or ask; the private link's token (only its hash is kept)."""
    scheme = await scheme_by_key(db, body.key)
    token = new_token()
    db.add(PairingPerson(scheme_id=scheme.id, seniority=body.seniority,
                         name=" ".join(body.name.split()), email=body.email,
                         specialty=body.specialty.strip(), site=body.site.strip(),
                         department=body.department.strip(), token_hash=token_hash(token)))
    await db.flush()
    return token


async def person_by_token(db: AsyncSession, token: str) -> PairingPerson:
    person = await db.scalar(select(PairingPerson).where(
        PairingPerson.token_hash == token_hash(token)))
    if person is None:
        raise NotFound("pairing_link_unknown", "this pairing link is no longer in use: the "
                       "pairing has ended, or you left the scheme")
    return person


async def pair_of(db: AsyncSession, person: PairingPerson) -> Pair | None:
    return await db.scalar(select(Pair).where(
        or_(Pair.senior_id == person.id, Pair.junior_id == person.id)))


async def mine(db: AsyncSession, person: PairingPerson) -> MyPairing:
    scheme = await get_scheme(db, person.scheme_id)
    pair = await pair_of(db, person)
    partner = None
    meeting = None
    if pair is not None:
        other = await db.get(PairingPerson, pair.junior_id if pair.senior_id == person.id
                             else pair.senior_id)
        assert other is not None
        partner = Partner(name=other.name, specialty=other.specialty, site=other.site)
        if pair.next_meeting_at is not None:
            meeting = Meeting(starts_at=pair.next_meeting_at,
                              minutes=pair.next_meeting_minutes or 30)
    return MyPairing(name=person.name, seniority=person.seniority, scheme=scheme.name,
                     status="paired" if pair else "waiting", partner=partner,
                     next_meeting=meeting)


async def paired(db: AsyncSession, person: PairingPerson) -> Pair:
    pair = await pair_of(db, person)
    if pair is None:
        raise Conflict("not_paired", "you have not been matched yet")
    return pair


async def arrange(db: AsyncSession, person: PairingPerson, *, starts_at: datetime,
                  minutes: int) -> None:
    """Either of the pair sets their next meeting; both see it."""
    pair = await paired(db, person)
    pair.next_meeting_at, pair.next_meeting_minutes = starts_at, minutes


async def end(db: AsyncSession, person: PairingPerson) -> uuid.UUID | None:
    """End the pairing (or, unmatched, leave the scheme): the pair and both people's rows
    go; the scheme counts one more ended pair. The pair's id, for closing its room."""
    pair = await pair_of(db, person)
    if pair is None:
        await db.delete(person)
        return None
    scheme = await get_scheme(db, pair.scheme_id)
    scheme.ended_pairs += 1
    people = (pair.senior_id, pair.junior_id)
    await db.delete(pair)
    await db.flush()
    await db.execute(delete(PairingPerson).where(PairingPerson.id.in_(people)))
    await record(db, actor=ANONYMOUS, action=Action.pair_end, object_type="pairing_scheme",
                 object_id=scheme.id)
    return pair.id
