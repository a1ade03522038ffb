"""A group's default plan over REST (set, listed first, cleared, refused, cleared by deletion)
and the plan suggested for a session from its title."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.core.db import transaction
from app.groups.models import Group
from app.templates.schemas import TemplateOut
from app.templates.service import DEFAULTS, out
from app.templates.suggest import suggest
from tests.app.conftest import World

CHECK_IN, BALINT, TEAM_TIME = "default:check-in-round", "default:balint-case", "default:team-time"
PAIRS, CHECK_OUT = "default:pairs", "default:check-out-round"


def templates(world: World, group: dict[str, Any] | None = None) -> str:
    return f"/api/v1/groups/{(group or world.group_a)['id']}/templates"


def default_url(world: World, group: dict[str, Any] | None = None) -> str:
    return f"/api/v1/groups/{(group or world.group_a)['id']}/default-template"


async def session_titled(world: World, title: str) -> str:
    start = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    made = await world.fa.post(f"/api/v1/groups/{world.group_a['id']}/sessions", json={
        "scheduled_start": start, "duration_minutes": 90, "title": title})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def test_a_default_is_set_listed_first_and_cleared(world: World) -> None:
    listed = (await world.fa.get(templates(world))).json()
    assert not any(t["default"] for t in listed) and listed[0]["id"] == CHECK_IN
    chosen = await world.fa.put(default_url(world), json={"template_id": BALINT})
    assert chosen.status_code == 200 and chosen.json() == {"template_id": BALINT}
    listed = (await world.fa.get(templates(world))).json()
    assert [t["id"] for t in listed][:2] == [BALINT, CHECK_IN]
    assert [t["default"] for t in listed] == [True, False, False, False, False]
    other = (await world.fb.get(templates(world, world.group_b))).json()
    assert not any(t["default"] for t in other)  # one group's default is not another's

    own = (await world.fa.post(templates(world), json={"copy_of": BALINT})).json()
    assert (await world.fa.put(default_url(world), json={"template_id": own["id"]})).json() == {
        "template_id": own["id"]}
    listed = (await world.fa.get(templates(world))).json()
    assert listed[0]["id"] == own["id"] and listed[0]["default"] and not listed[0]["builtin"]
    assert sum(t["default"] for t in listed) == 1

    cleared = await world.fa.put(default_url(world), json={"template_id": None})
    assert cleared.status_code == 200 and cleared.json() == {"template_id": None}
    assert not any(t["default"] for t in (await world.fa.get(templates(world))).json())


async def test_unknown_ids_and_other_groups_templates_are_refused(world: World) -> None:
    for unknown in ("default:nothing", "nope", "00000000-0000-0000-0000-000000000000"):
        refused = await world.fa.put(default_url(world), json={"template_id": unknown})
        assert refused.status_code == 404, unknown
        assert refused.json()["error"] == "template_not_found"
    theirs = (await world.fb.post(templates(world, world.group_b),
                                  json={"copy_of": CHECK_IN})).json()
    borrowed = await world.fa.put(default_url(world), json={"template_id": theirs["id"]})
    assert borrowed.status_code == 404 and borrowed.json()["error"] == "template_not_found"
    missing = await world.fa.put(default_url(world), json={})
    assert missing.status_code == 422
    assert not any(t["default"] for t in (await world.fa.get(templates(world))).json())


async def test_only_the_groups_facilitators_and_admins_choose(world: World) -> None:
    refused = await world.fb.put(default_url(world), json={"template_id": BALINT})
    assert refused.status_code == 403 and refused.json()["error"] == "not_your_group"
    browser, _ = await world.doctor("Dr Ada")
    assert (await browser.put(default_url(world), json={"template_id": BALINT})).status_code == 401
    assert not any(t["default"] for t in (await world.fa.get(templates(world))).json())
    by_admin = await world.admin.put(default_url(world), json={"template_id": TEAM_TIME})
    assert by_admin.status_code == 200
    assert (await world.fa.get(templates(world))).json()[0]["id"] == TEAM_TIME
    session = await session_titled(world, "Balint case")
    plan = f"/api/v1/sessions/{session}/suggested-plan"
    assert (await world.fb.get(plan)).status_code == 403
    assert (await browser.get(plan)).status_code == 401


async def stored_default(app: Any, world: World) -> str | None:
    async for db in transaction(app.state.db):
        group = await db.get(Group, uuid.UUID(world.group_a["id"]))
        assert group is not None
        return group.default_template_id
    raise AssertionError("no database session")


async def test_deleting_the_default_clears_it(world: World, app: Any) -> None:
    own = (await world.fa.post(templates(world), json={"copy_of": BALINT})).json()
    await world.fa.put(default_url(world), json={"template_id": own["id"]})
    assert await stored_default(app, world) == own["id"]
    assert (await world.fa.delete(f"/api/v1/templates/{own['id']}")).status_code == 204
    assert await stored_default(app, world) is None
    listed = (await world.fa.get(templates(world))).json()
    assert not any(t["default"] for t in listed) and listed[0]["id"] == CHECK_IN
    session = await session_titled(world, "Fortnightly group")
    plan = (await world.fa.get(f"/api/v1/sessions/{session}/suggested-plan")).json()
    assert plan == {"template_ids": [CHECK_IN]}


async def test_the_suggested_plan_follows_the_title(world: World) -> None:
    async def plan(title: str) -> list[str]:
        sid = await session_titled(world, title)
        answer = await world.fa.get(f"/api/v1/sessions/{sid}/suggested-plan")
        assert answer.status_code == 200, answer.text
        ids: list[str] = answer.json()["template_ids"]
        return ids

    assert await plan("Balint case") == [BALINT]
    assert await plan("Check-in") == [CHECK_IN]
    assert await plan("Check-in and Balint case") == [CHECK_IN, BALINT]
    assert await plan("Team Time, then check out") == [TEAM_TIME, CHECK_OUT]
    assert await plan("") == [CHECK_IN]
    await world.fa.put(default_url(world), json={"template_id": TEAM_TIME})
    assert await plan("Weekly group") == [TEAM_TIME]
    assert await plan("Balint case") == [BALINT]
    own = (await world.fa.post(templates(world), json={"copy_of": BALINT})).json()
    await world.fa.put(default_url(world), json={"template_id": own["id"]})
    assert await plan("Check-in and Balint case") == [CHECK_IN, own["id"]]
    unknown = await world.fa.get(
        "/api/v1/sessions/00000000-0000-0000-0000-000000000000/suggested-plan")
    assert unknown.status_code == 404 and unknown.json()["error"] == "session_not_found"


def listed(default: str | None = None, own: dict[str, str] | None = None) -> list[TemplateOut]:
    """The list `list_templates` gives, built from the defaults (and own templates by id)."""
    items = [out(i, t, builtin=True, default=i == default) for i, t in DEFAULTS.items()]
    for template_id, name in (own or {}).items():
        copy = DEFAULTS[BALINT].model_copy(update={"name": name})
        items.append(out(template_id, copy, builtin=False, default=template_id == default))
    return items


@pytest.mark.parametrize(("title", "default", "plan"), [
    ("Balint case", None, [BALINT]),
    ("balint", None, [BALINT]),
    ("Check-in", None, [CHECK_IN]),
    ("check in", None, [CHECK_IN]),
    ("Check-in and Balint case", None, [CHECK_IN, BALINT]),
    ("Balint case, then check-in", None, [BALINT, CHECK_IN]),
    ("Check-in, Balint case, check-out", None, [CHECK_IN, BALINT, CHECK_OUT]),
    ("Pairs and check-out", None, [PAIRS, CHECK_OUT]),
    ("Story sharing", None, [TEAM_TIME]),
    ("Checking in on the rota", TEAM_TIME, [TEAM_TIME]),  # "checking" is not "check in"
    ("", None, [CHECK_IN]),
    ("Weekly group", TEAM_TIME, [TEAM_TIME]),
    ("Check-in", TEAM_TIME, [CHECK_IN]),
    ("Check-in and Balint case", "own", [CHECK_IN, "own"]),  # the group's own Balint
    ("Check-out", "own", [CHECK_OUT]),
])
def test_suggest(title: str, default: str | None, plan: list[str]) -> None:
    assert suggest(listed(default, {"own": "Balint case (short)"}), title) == plan


def test_suggest_proposes_only_listed_templates() -> None:
    without_balint = [t for t in listed() if t.id != BALINT]
    assert suggest(without_balint, "Balint case") == [CHECK_IN]
