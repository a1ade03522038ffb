"""The close of a session: the signposting card (the deployment's default, a group's own, who
may read and change it) and the anonymous pulse (counts only, one answer per member and
session, figures refused below five answers, also over a group's sessions and in its CSV)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, select

from tests.app.conftest import World

CARD = [{"name": "Our trust's occupational health", "detail": "Weekdays 8 to 6",
         "contact": "01632 960 000"}]


async def test_the_signposting_card_default_and_a_groups_own(world: World) -> None:
    gid = world.group_a["id"]
    doctor, _ = await world.doctor("Ben")
    url = f"/api/v1/groups/{gid}/signposting"
    card = (await doctor.get(url)).json()
    assert card["is_default"] is True
    assert [e["name"] for e in card["entries"]][0] == "Practitioner Health"
    assert "Samaritans" in [e["name"] for e in card["entries"]]

    # a member cannot change it, another group's facilitator can neither read nor change it
    assert (await doctor.put(url, json={"entries": CARD})).status_code == 401
    assert (await world.fb.get(url)).status_code == 403
    assert (await world.fb.put(url, json={"entries": CARD})).status_code == 403
    assert (await world.clients.new().get(url)).status_code == 404

    # the group's facilitator writes its own; bad input is refused and changes nothing
    bad = await world.fa.put(url, json={"entries": [{"name": "", "contact": "x"}]})
    assert bad.status_code == 422
    assert (await world.fa.put(url, json={"entries": []})).status_code == 422
    saved = await world.fa.put(url, json={"entries": CARD})
    assert saved.status_code == 200 and saved.json() == {"entries": CARD, "is_default": False}
    assert (await doctor.get(url)).json()["entries"] == CARD
    assert (await world.admin.get(url)).json()["entries"] == CARD  # admins too
    other = (await world.fb.get(f"/api/v1/groups/{world.group_b['id']}/signposting")).json()
    assert other["is_default"] is True  # one group's card is not another's

    back = await world.fa.delete(url)
    assert back.status_code == 200 and back.json()["is_default"] is True


async def _answer(world: World, session: dict[str, Any], body: dict[str, Any]) -> int:
    doctor, _ = await world.doctor("Doctor")
    response = await doctor.post(f"/api/v1/sessions/{session['id']}/pulse", json=body)
    return response.status_code


async def test_the_pulse_is_counts_only_and_refused_below_five(app: Any, world: World) -> None:
    session = await world.session(status="open")
    url = f"/api/v1/sessions/{session['id']}/pulse"
    early, _ = await world.doctor("Early")
    refused = await early.post(url, json={"heard": 4})
    assert refused.status_code == 409 and refused.json()["error"] == "session_not_held"
    await world.fa.patch(f"/api/v1/sessions/{session['id']}", json={"status": "live"})

    doctor, _ = await world.doctor("Ben")
    assert (await doctor.post(url, json={"heard": 4, "again": True})).status_code == 204
    twice = await doctor.post(url, json={"heard": 5})
    assert twice.status_code == 409 and twice.json()["error"] == "already_answered"
    assert (await doctor.post(url, json={"heard": 6})).status_code == 422
    stranger = await world.clients.new().post(url, json={"heard": 3})
    assert stranger.status_code == 404
    other_group, _ = await world.doctor("Other", group=world.group_b)
    assert (await other_group.post(url, json={"heard": 3})).status_code == 404

    # three more people: three answers to each question, fewer than five: refused, no figure
    for body in ({"heard": 5}, {"heard": 3, "again": False}, {"again": True}):
        assert await _answer(world, session, body) == 204
    hidden = {"shown": False, "answers": None, "counts": None}
    assert (await world.fa.get(url)).json() == {"heard": hidden, "again": hidden}
    group = await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/pulse")
    assert group.json() == {"heard": hidden, "again": hidden}
    csv = await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/pulse.csv")
    assert csv.status_code == 409 and csv.json()["error"] == "not_enough_answers"
    assert "3" not in csv.json()["detail"]

    # two more answers to "heard": five, shown; "again" has three answers: still hidden
    assert await _answer(world, session, {"heard": 4}) == 204
    assert (await world.fa.get(url)).json()["heard"] == hidden  # four
    assert await _answer(world, session, {"heard": 5}) == 204
    figures = (await world.fa.get(url)).json()
    assert figures["heard"] == {"shown": True, "answers": 5,
                                "counts": {"3": 1, "4": 2, "5": 2}}  # counts, never who
    assert figures["again"] == {"shown": False, "answers": None, "counts": None}
    assert (await world.fb.get(url)).status_code == 403  # another group's facilitator
    assert (await doctor.get(url)).status_code == 401  # members never see figures

    # stored as counts only: no member, device or time in the table
    engine = app.state.db.kw["bind"]
    meta = MetaData()
    async with engine.connect() as conn:
        await conn.run_sync(meta.reflect)
        table = meta.tables["pulse_counts"]
        assert set(table.c.keys()) == {"session_id", "question", "answer", "count"}
        rows = (await conn.execute(select(table))).all()
    assert sum(r.count for r in rows if r.question == "heard") == 5


async def test_a_groups_figures_never_reveal_a_small_session(world: World) -> None:
    big = await world.session(status="live")
    small = await world.session(status="live")
    for heard in (5, 4, 4, 3, 5):
        assert await _answer(world, big, {"heard": heard}) == 204
    for heard in (1, 2):
        assert await _answer(world, small, {"heard": heard}) == 204
    gid = world.group_a["id"]
    # the big session shows on its own; the group's 7 would give the small one's 2 by
    # difference: refused until the small sessions add up to five
    assert (await world.fa.get(f"/api/v1/sessions/{big['id']}/pulse")).json()["heard"]["shown"]
    group = (await world.fa.get(f"/api/v1/groups/{gid}/pulse")).json()
    assert group["heard"] == {"shown": False, "answers": None, "counts": None}
    small2 = await world.session(status="live")
    for heard in (2, 3, 3):
        assert await _answer(world, small2, {"heard": heard}) == 204
    group = (await world.fa.get(f"/api/v1/groups/{gid}/pulse")).json()
    assert group["heard"]["answers"] == 10
    assert group["heard"]["counts"] == {"1": 1, "2": 2, "3": 3, "4": 2, "5": 2}
    csv = await world.fa.get(f"/api/v1/groups/{gid}/pulse.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "group,question,answer,count"
    assert lines[1:] == [f"FY1 Tuesday group,heard,{v},{n}"
                         for v, n in (("1", 1), ("2", 2), ("3", 3), ("4", 2), ("5", 2))]
