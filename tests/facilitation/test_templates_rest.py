"""Templates over REST: the defaults, copies, edits, deletion, validation and who may do what;
and starting a session's facilitation."""

from __future__ import annotations

from typing import Any

from app.rounds import sequence as sq
from app.rounds.events import Actor, Role
from tests.app.conftest import World

DEFAULT_IDS = ["default:check-in-round", "default:balint-case", "default:team-time",
               "default:pairs", "default:check-out-round"]
ROUND = {"kind": "round", "title": "Check-in", "duration": 600, "floor": "speaker",
         "turn": {"length": 60, "min": 30, "max": 120}}


def url(world: World, group: dict[str, Any] | None = None) -> str:
    return f"/api/v1/groups/{(group or world.group_a)['id']}/templates"


async def test_the_defaults_are_listed_for_every_group(world: World) -> None:
    listed = (await world.fa.get(url(world))).json()
    assert [t["id"] for t in listed] == DEFAULT_IDS
    assert all(t["builtin"] for t in listed)
    balint = listed[1]
    assert balint["name"] == "Balint case" and balint["duration"] == 50 * 60
    assert [p["floor"] for p in balint["phases"]][3] == "presenter_muted"
    assert (await world.fb.get(url(world, world.group_b))).json()[0]["id"] == DEFAULT_IDS[0]


async def test_copy_edit_and_delete(world: World) -> None:
    copy = await world.fa.post(url(world), json={"copy_of": "default:balint-case"})
    assert copy.status_code == 201, copy.text
    body = copy.json()
    assert body["name"] == "Balint case (copy)" and not body["builtin"]
    assert len(body["phases"]) == 6
    phases = body["phases"]
    phases[3]["duration"] = 20 * 60
    edited = await world.fa.patch(f"/api/v1/templates/{body['id']}",
                                  json={"name": "Short Balint", "phases": phases})
    assert edited.status_code == 200, edited.text
    assert edited.json()["duration"] == 45 * 60 and edited.json()["name"] == "Short Balint"
    own = await world.fa.post(url(world), json={"name": "Held check-in",
                                                "phases": [{**ROUND, "hold_floor": True}]})
    assert own.status_code == 201 and own.json()["phases"][0]["hold_floor"] is True
    names = [t["name"] for t in (await world.fa.get(url(world))).json() if not t["builtin"]]
    assert names == ["Held check-in", "Short Balint"]
    assert (await world.fa.delete(f"/api/v1/templates/{body['id']}")).status_code == 204
    again = await world.fa.delete(f"/api/v1/templates/{body['id']}")
    assert again.status_code == 404 and again.json()["error"] == "template_not_found"
    names = [t["name"] for t in (await world.fa.get(url(world))).json() if not t["builtin"]]
    assert names == ["Held check-in"]
    builtin = await world.fa.patch("/api/v1/templates/default:check-in-round",
                                   json={"name": "Mine"})
    assert builtin.status_code == 409 and builtin.json()["error"] == "builtin_template"
    builtin = await world.fa.delete("/api/v1/templates/default:check-in-round")
    assert builtin.status_code == 409


async def test_validation_errors(world: World) -> None:
    no_turn = await world.fa.post(url(world), json={"name": "x", "phases": [
        {**ROUND, "turn": None}]})
    assert no_turn.status_code == 422 and "turn spec" in no_turn.json()["detail"]
    push_back_first = await world.fa.post(url(world), json={"name": "x", "phases": [
        {"kind": "discussion", "title": "Push-back", "duration": 600,
         "floor": "presenter_muted"}]})
    assert push_back_first.status_code == 422
    assert push_back_first.json()["error"] == "bad_template"
    assert "needs a presenter" in push_back_first.json()["detail"]
    too_long = await world.fa.post(url(world), json={"name": "x", "phases": [
        {**ROUND, "kind": "open", "floor": "facilitator", "turn": None, "duration": 7200}] * 3})
    assert too_long.status_code == 422 and "at most 240 minutes" in too_long.json()["detail"]
    bad_turn = await world.fa.post(url(world), json={"name": "x", "phases": [
        {**ROUND, "turn": {"length": 10, "min": 10, "max": 60}}]})
    assert bad_turn.status_code == 422
    incomplete = await world.fa.post(url(world), json={"name": "Only a name"})
    assert incomplete.status_code == 422 and incomplete.json()["error"] == "incomplete_template"
    extra = await world.fa.post(url(world), json={"name": "x", "phases": [ROUND], "owner": 1})
    assert extra.status_code == 422
    unknown = await world.fa.post(url(world), json={"copy_of": "default:nothing"})
    assert unknown.status_code == 404
    mine = (await world.fa.post(url(world), json={"name": "Mine", "phases": [ROUND]})).json()
    broken = await world.fa.patch(f"/api/v1/templates/{mine['id']}", json={"phases": [
        {"kind": "discussion", "title": "Push-back", "duration": 600,
         "floor": "presenter_muted"}]})
    assert broken.status_code == 422 and broken.json()["error"] == "bad_template"
    unchanged = (await world.fa.get(url(world))).json()[-1]
    assert unchanged["name"] == "Mine" and unchanged["phases"][0]["kind"] == "round"


async def test_another_groups_facilitator_is_refused(world: World) -> None:
    mine = (await world.fa.post(url(world), json={"name": "Mine", "phases": [ROUND]})).json()
    assert (await world.fb.get(url(world))).status_code == 403
    assert (await world.fb.post(url(world), json={"copy_of": DEFAULT_IDS[0]})).status_code == 403
    assert (await world.fb.patch(f"/api/v1/templates/{mine['id']}",
                                 json={"name": "Theirs"})).status_code == 403
    assert (await world.fb.delete(f"/api/v1/templates/{mine['id']}")).status_code == 403
    borrowed = await world.fb.post(url(world, world.group_b), json={"copy_of": mine["id"]})
    assert borrowed.status_code == 404  # another group's template is not theirs to copy
    session_b = await world.session(client=world.fb, group=world.group_b)
    used = await world.fb.post(f"/api/v1/sessions/{session_b['id']}/facilitation",
                               json={"template_id": mine["id"]})
    assert used.status_code == 404
    session_a = await world.session()
    refused = await world.fb.post(f"/api/v1/sessions/{session_a['id']}/facilitation",
                                  json={"template_id": DEFAULT_IDS[0]})
    assert refused.status_code == 403
    browser, _ = await world.doctor("Dr Ada")
    assert (await browser.get(url(world))).status_code == 401
    assert (await browser.post(f"/api/v1/sessions/{session_a['id']}/facilitation",
                               json={"template_id": DEFAULT_IDS[0]})).status_code == 401
    assert (await world.fa.get(url(world))).json()[-1]["name"] == "Mine"


async def test_begin_facilitation(world: World, app: Any) -> None:
    session = await world.session(status="open")
    sid = session["id"]
    begun = await world.fa.post(f"/api/v1/sessions/{sid}/facilitation",
                                json={"template_id": "default:check-in-round"})
    assert begun.status_code == 200, begun.text
    state = begun.json()["state"]
    assert state["template"] == "Check-in round" and state["phase"]["status"] == "pending"
    assert (await world.fa.get(f"/api/v1/sessions/{sid}")).json()["status"] == "live"
    changed = await world.fa.post(f"/api/v1/sessions/{sid}/facilitation",
                                  json={"template_id": "default:balint-case"})
    assert changed.json()["state"]["template"] == "Balint case"  # until the phases start
    runtime = app.state.facilitation
    lead = Actor(id="f", role=Role.facilitator)
    await runtime.session(sid).ask(lambda s: s.change(lambda state, now: (state.model_copy(
        update={"sequence": sq.start(state.sequence, lead, now)}), [], [])))
    later = await world.fa.post(f"/api/v1/sessions/{sid}/facilitation",  # added at the end
                                json={"template_ids": ["default:check-out-round"]})
    assert later.status_code == 200, later.text
    plan = later.json()["state"]["phases"]
    assert [p["title"] for p in plan][-1] == "Check-out" and plan[0]["started"] is True
    assert later.json()["state"]["phase"]["index"] == 0
    both = await world.fa.post(f"/api/v1/sessions/{sid}/facilitation",
                               json={"template_id": "x", "template_ids": ["y"]})
    assert both.status_code == 422
    missing = await world.fa.post(f"/api/v1/sessions/{sid}/facilitation",
                                  json={"template_id": "nope"})
    assert missing.status_code == 404
    await world.fa.patch(f"/api/v1/sessions/{sid}", json={"status": "ended"})
    ended = await world.fa.post(f"/api/v1/sessions/{sid}/facilitation",
                                json={"template_id": "default:check-in-round"})
    assert ended.status_code == 409 and ended.json()["error"] == "session_ended"
    gone = (await world.fa.get(f"/api/v1/sessions/{sid}/state")).json()
    assert gone == {"live": False, "state": None}


async def test_a_plan_is_kept_as_the_groups_default(world: World) -> None:
    """Issue 11: the plan composed for one session is kept for the group's next sessions."""
    session = await world.session(status="open")
    sid = session["id"]
    none = await world.fa.post(f"/api/v1/sessions/{sid}/plan/template", json={"name": "Ours"})
    assert none.status_code == 409 and none.json()["error"] == "no_template"
    plan = ["default:check-in-round", "default:balint-case", "default:check-out-round"]
    begun = await world.fa.post(f"/api/v1/sessions/{sid}/facilitation",
                                json={"template_ids": plan})
    assert begun.status_code == 200, begun.text
    assert begun.json()["state"]["template"] == "Check-in round, Balint case, Check-out round"
    saved = await world.fa.post(f"/api/v1/sessions/{sid}/plan/template",
                                json={"name": "Our usual session"})
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert body["name"] == "Our usual session" and body["builtin"] is False
    assert [p["title"] for p in body["phases"]][0] == "Check-in"
    assert [p["title"] for p in body["phases"]][-1] == "Check-out" and len(body["phases"]) == 8
    made = await world.fa.put(f"/api/v1/groups/{world.group_a['id']}/default-template",
                              json={"template_id": body["id"]})
    assert made.status_code == 200, made.text
    listed = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/templates")).json()
    assert listed[0]["id"] == body["id"] and listed[0]["default"] is True
    blank = await world.fa.post(f"/api/v1/sessions/{sid}/plan/template", json={"name": ""})
    assert blank.status_code == 422
    other = await world.fb.post(f"/api/v1/sessions/{sid}/plan/template", json={"name": "X"})
    assert other.status_code in (403, 404)
