"""app.rounds.live without I/O: controls, lobby, mutes, round setup, the floor and the views."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.core.errors import RoundsError
from app.facilitation.actions import Sender, act, admit, begin
from app.facilitation.clocks import next_deadline, tick
from app.facilitation.errors import LiveError
from app.facilitation.messages import (
    ControlAction,
    HandAction,
    Notice,
    PhaseAction,
    RoundAction,
    notice_event,
    parse_action,
)
from app.facilitation.presence import joined, lost, wait_in_lobby
from app.facilitation.state import Effect, Live, Presence, current_phase
from app.facilitation.views import audible
from app.facilitation.views import view as state_view
from app.rounds.phases import FloorRule, Phase, PhaseKind, Template, TurnSpec
from app.templates.defaults import BALINT_CASE, CHECK_IN_ROUND

T0 = 1_800_000_000.0
F, C, A, B, D = "fac", "cofac", "ada", "ben", "dee"
ROLES = {F: "facilitator", C: "co-facilitator", A: "member", B: "member", D: "member"}
NAMES = {F: "Dr Fox", C: "Dr Cole", A: "Dr Zed", B: "Dr Abel", D: "Dr Moss"}
HELD = Template(name="Held", phases=(Phase(
    kind=PhaseKind.round, title="Check-in", duration=600, floor=FloorRule.speaker,
    hold_floor=True, turn=TurnSpec(length=60, min=30, max=120)),))


def wire(notices: list[Notice]) -> list[dict[str, Any]]:
    return [notice_event(n) for n in notices]


def presence(*ids: str) -> Presence:
    return Presence(roles={p: ROLES[p] for p in ids}, names={p: NAMES[p] for p in ids})


def room(template: Template = CHECK_IN_ROUND, *ids: str) -> tuple[Live, Presence]:
    """A Live with ``template`` chosen and ``ids`` (default: everyone) joined in that order."""
    ids = ids or (F, C, A, B, D)
    live, _, _ = begin(Live(), template, Presence())
    for i, p in enumerate(ids):
        live, _, _ = joined(live, p, ROLES[p], presence(*ids[: i + 1]), T0)
    return live, presence(*ids)


def do(live: Live, who: str, kind: str, pres: Presence, now: float = T0,
       **data: Any) -> Live:
    new, _, _ = act(live, parse_action(kind, data), Sender(who, ROLES[who], pres), now)
    return new


def refused(live: Live, who: str, kind: str, pres: Presence, **data: Any) -> str:
    with pytest.raises(RoundsError) as exc:
        do(live, who, kind, pres, **data)
    return exc.value.code


# ---------------------------------------------------------------- controls


def test_the_first_facilitator_leads_and_holds_the_controls() -> None:
    live, _ = room()
    assert live.lead == F and live.controller == F


def test_controls_pass_to_the_co_facilitator_on_a_drop_and_back_on_request() -> None:
    live, _ = room()
    without_f = presence(C, A, B, D)
    live, notices, _ = lost(live, F, without_f, T0 + 1)
    controls = {"kind": "notice", "about": "controls", "holder": C}
    assert live.controller == C and controls in wire(notices)
    live, _, _ = joined(live, F, "facilitator", presence(F, C, A, B, D), T0 + 2)
    assert live.controller == C  # coming back does not take the controls by itself
    everyone = presence(F, C, A, B, D)
    assert refused(live, F, "phase", everyone, action="start") == "not_in_control"
    assert refused(live, C, "control", everyone, action="take_back") == "not_lead"
    assert refused(live, A, "control", everyone, action="take_back") == "not_lead"
    live = do(live, F, "control", everyone, action="take_back")
    assert live.controller == F
    assert refused(live, C, "phase", everyone, action="start") == "not_in_control"


def test_hand_over_only_to_a_facilitator_in_the_room() -> None:
    live, pres = room()
    assert refused(live, F, "control", pres, action="hand_over", participant_id=A) == \
        "not_facilitator"
    assert refused(live, F, "control", pres, action="hand_over") == "participant_required"
    live = do(live, F, "control", pres, action="hand_over", participant_id=C)
    assert live.controller == C
    assert refused(live, F, "round", pres, action="start") == "not_in_control"


def test_alone_the_controls_stay_until_a_facilitator_returns() -> None:
    live, _ = room(CHECK_IN_ROUND, F, A)
    live, _, _ = lost(live, F, presence(A), T0)
    assert live.controller == F
    live, notices, _ = joined(live, C, "co-facilitator", presence(A, C), T0)
    assert live.controller == C and live.lead == F
    live, _, _ = joined(live, F, "facilitator", presence(A, C, F), T0)
    assert live.controller == C


# ---------------------------------------------------------------- lobby and room


def test_lobby_admit_lock_and_remove() -> None:
    live, pres = room(CHECK_IN_ROUND, F, C)
    live, _, _ = wait_in_lobby(live, A)
    same, _, _ = wait_in_lobby(live, A)
    assert same is live and live.lobby == (A,)
    live, _, _ = wait_in_lobby(live, B)
    live, _, _ = admit(live, A)
    assert live.lobby == (B,) and live.admitted == (A,)
    with pytest.raises(LiveError) as exc:
        admit(live, D)
    assert exc.value.code == "not_waiting"
    assert refused(live, C, "control", pres, action="admit", participant_id=B) == "not_in_control"
    live = do(live, F, "control", pres, action="admit_all")
    assert live.lobby == () and live.admitted == (A, B)
    live = do(live, F, "control", pres, action="lock")
    assert live.locked
    live = do(live, F, "control", pres, action="unlock")
    assert not live.locked
    inside = presence(F, C, A, B)
    new, _, effects = act(live, ControlAction(kind="control", action="remove", participant_id=A),
                          Sender(F, "facilitator", inside), T0)
    assert effects == [Effect("remove", A)] and new.removed == (A,) and A not in new.admitted
    assert refused(live, F, "control", inside, action="remove", participant_id=C) == \
        "cannot_remove"


def test_mute_and_mute_all_spare_the_facilitators() -> None:
    live, pres = room()
    live = do(live, F, "control", pres, action="mute", participant_id=A)
    assert live.muted == (A,) and A not in audible(live, pres)
    live = do(live, F, "control", pres, action="mute_all")
    assert set(live.muted) == {A, B, D}
    assert audible(live, pres) == {F, C}
    live = do(live, F, "control", pres, action="unmute", participant_id=B)
    assert audible(live, pres) == {F, C, B}
    assert refused(live, A, "control", pres, action="unmute", participant_id=A) == \
        "not_in_control"


# ---------------------------------------------------------------- rounds


def test_setup_order_rules_and_turn_length_bounds() -> None:
    live, pres = room()
    live = do(live, F, "phase", pres, action="start")
    assert live.round is not None and [t.participant_id for t in live.round.turns] == \
        [A, B, D]  # the phase's round: the members present, in join order
    alpha = do(live, F, "round", pres, action="setup", rule="alphabetical")
    assert alpha.round is not None
    assert [t.participant_id for t in alpha.round.turns] == [B, D, A]
    everyone = do(live, F, "round", pres, action="setup", rule="alphabetical", facilitators=True)
    assert everyone.round is not None and everyone.facilitators_take_turns
    assert [t.participant_id for t in everyone.round.turns] == [B, C, F, D, A]
    first = do(live, F, "round", pres, action="setup", rule="random")
    again = do(live, F, "round", pres, action="setup", rule="random")
    assert first.round == again.round  # seeded by the state's version: reproducible
    manual = do(live, F, "round", pres, action="setup", rule="manual", order=[D, A, B],
                turn_length=90)
    assert manual.round is not None and manual.round.config.turn_length == 90
    assert [t.participant_id for t in manual.round.turns] == [D, A, B]
    assert refused(live, F, "round", pres, action="setup", rule="manual") == "order_required"
    assert refused(live, F, "round", pres, action="setup", rule="manual",
                   order=[A, "ghost"]) == "not_present"
    assert refused(live, F, "round", pres, action="setup", rule="manual",
                   order=[A, A]) == "invalid_order"
    assert refused(live, F, "round", pres, action="setup", order=[A]) == "invalid_action"
    assert refused(live, F, "round", pres, action="setup", turn_length=20) == "bad_turn_length"
    assert refused(live, F, "round", pres, action="setup", turn_length=121) == \
        "bad_turn_length"
    started = do(manual, F, "round", pres, action="start")
    assert refused(started, F, "round", pres, action="setup") == "round_started"
    assert refused(started, A, "round", pres, action="setup") == "not_in_control"


def test_setup_needs_a_round_phase() -> None:
    live, pres = room(BALINT_CASE)
    assert refused(live, F, "round", pres, action="setup") == "no_round"
    live = do(live, F, "phase", pres, action="start")
    assert refused(live, F, "round", pres, action="start") == "no_round"
    assert refused(Live(controller=F), F, "phase", pres, action="start") == "no_template"


def test_late_members_are_appended_and_facilitators_are_not() -> None:
    live, _ = room(CHECK_IN_ROUND, F, A)
    pres = presence(F, A)
    live = do(live, F, "phase", pres, action="start")
    live = do(live, F, "round", pres, action="setup", rule="manual", order=[A])
    live, _, _ = joined(live, B, "member", presence(F, A, B), T0)
    live, _, _ = joined(live, C, "co-facilitator", presence(F, A, B, C), T0)
    assert live.round is not None and [t.participant_id for t in live.round.turns] == [A, B]


def test_a_member_may_pass_or_finish_only_their_own_turn() -> None:
    live, pres = room(CHECK_IN_ROUND, F, A, B)
    live = do(live, F, "phase", pres, action="start")
    live = do(live, F, "round", pres, action="setup", rule="manual", order=[A, B])
    live = do(live, F, "round", pres, action="start")
    assert refused(live, B, "round", pres, action="finish") == "not_speaker"
    assert refused(live, B, "round", pres, action="pass") == "not_in_control"
    assert refused(live, B, "round", pres, action="next") == "not_in_control"
    passed = do(live, A, "round", pres, action="pass")
    assert passed.round is not None and passed.round.turns[-1].participant_id == A
    finished = do(live, A, "round", pres, action="finish")
    assert finished.round is not None and finished.round.status == "between"


def test_a_dropped_speaker_pauses_the_turn_and_resumes_it() -> None:
    live, pres = room(CHECK_IN_ROUND, F, A, B)
    live = do(live, F, "phase", pres, action="start")
    live = do(live, F, "round", pres, action="setup", rule="manual", order=[A, B])
    live = do(live, F, "round", pres, action="start")
    live, notices, _ = lost(live, A, presence(F, B), T0 + 10)
    view = state_view(live, T0 + 30, presence(F, B), facilitator=False).data()
    assert view["round"]["paused"] and view["round"]["remaining"] == 50
    assert view["round"]["grace_deadline"] == T0 + 130
    assert next_deadline(live, T0 + 30) == T0 + 130
    live, _, _ = joined(live, A, "member", pres, T0 + 40)
    view = state_view(live, T0 + 40, pres, facilitator=False).data()
    assert not view["round"]["paused"] and view["round"]["remaining"] == 50


def test_tick_warns_and_the_grace_expires() -> None:
    live, pres = room(CHECK_IN_ROUND, F, A, B)
    live = do(live, F, "phase", pres, action="start")
    live = do(live, F, "round", pres, action="setup", rule="manual", order=[A, B],
              turn_length=90)
    live = do(live, F, "round", pres, action="start")
    assert next_deadline(live, T0) == T0 + 30  # one minute left
    warned, notices, _ = tick(live, T0 + 30)
    assert wire(notices) == [{"kind": "notice", "about": "turn", "event": "warning",
                              "participant_id": A, "warning": "one_minute_left", "seconds": 60.0}]
    same, nothing, _ = tick(warned, T0 + 31)
    assert same is warned and nothing == []
    gone, _, _ = lost(warned, A, presence(F, B), T0 + 40)
    expired, notices, _ = tick(gone, T0 + 40 + 120)
    assert expired.round is not None and expired.round.status == "between"
    assert expired.round.turns[0].status == "absent"


# ---------------------------------------------------------------- the floor


def test_hold_the_floor_forwards_the_facilitators_and_the_speaker_only() -> None:
    live, pres = room(HELD, F, C, A, B)
    assert audible(live, pres) == {F, C, A, B}  # not started yet
    live = do(live, F, "phase", pres, action="start")
    assert audible(live, pres) == {F, C}  # a round nobody has started: nobody else
    live = do(live, F, "round", pres, action="setup", rule="manual", order=[A, B])
    live = do(live, F, "round", pres, action="start")
    assert audible(live, pres) == {F, C, A}
    live = do(live, A, "round", pres, action="finish")
    assert audible(live, pres) == {F, C}
    live = do(live, F, "round", pres, action="next")
    assert audible(live, pres) == {F, C, B}
    live = do(live, F, "phase", pres, action="end")
    assert audible(live, pres) == {F, C, A, B}


def test_without_hold_the_floor_everyone_is_heard_in_a_round() -> None:
    live, pres = room(CHECK_IN_ROUND, F, A, B)
    live = do(live, F, "phase", pres, action="start")
    live = do(live, F, "round", pres, action="start")
    assert audible(live, pres) == {F, A, B}


def test_push_back_leaves_out_the_presenter_only() -> None:
    live, pres = room(BALINT_CASE, F, C, A, B)
    live = do(live, F, "phase", pres, action="start")
    assert refused(live, F, "phase", pres, action="set_presenter", participant_id="ghost") == \
        "not_present"
    live = do(live, F, "phase", pres, action="set_presenter", participant_id=A)
    for _ in range(3):
        live = do(live, F, "phase", pres, action="advance")
        if current_phase(live).floor is not FloorRule.presenter_muted:  # type: ignore[union-attr]
            assert audible(live, pres) == {F, C, A, B}
    assert audible(live, pres) == {F, C, B}
    live = do(live, F, "phase", pres, action="advance")
    assert audible(live, pres) == {F, C, A, B}


def test_hands_give_and_take_back_the_floor() -> None:
    live, pres = room(CHECK_IN_ROUND, F, A, B)
    live = do(live, A, "hand", pres, action="raise")
    live = do(live, B, "hand", pres, action="raise")
    assert refused(live, A, "hand", pres, action="raise") == "illegal_transition"
    assert refused(live, B, "hand", pres, action="give", participant_id=A) == "not_in_control"
    live = do(live, F, "hand", pres, action="give", participant_id=B)
    assert live.hands.floor == B and live.hands.raised == (A,)
    live = do(live, B, "hand", pres, action="take_back")
    assert live.hands.floor is None
    live, _, _ = lost(live, A, presence(F, B), T0)
    assert live.hands.raised == ()


# ---------------------------------------------------------------- views


def test_the_lobby_and_the_talk_figures_are_for_facilitators_only() -> None:
    live, pres = room(CHECK_IN_ROUND, F, A)
    live, _, _ = wait_in_lobby(live, B)
    lobby_names = Presence(roles=dict(pres.roles), names={**pres.names, B: "Dr Abel"})
    lead = state_view(live, T0, lobby_names, facilitator=True, talk={A: 12.5}).data()
    member = state_view(live, T0, lobby_names, facilitator=False).data()
    assert lead["lobby"] == [{"participant_id": B, "name": "Dr Abel"}]
    assert "lobby" not in member
    assert "12.5" not in str(lead) and "talk" not in str(lead)  # figures travel as talk_time


def test_view_fields_for_the_clock() -> None:
    live, pres = room(CHECK_IN_ROUND, F, A)
    live = do(live, F, "phase", pres, action="start")
    live = do(live, F, "round", pres, action="setup", rule="manual", order=[A])
    live = do(live, F, "round", pres, now=T0 + 5, action="start")
    view = state_view(live, T0 + 15, pres, facilitator=False).data()
    assert view["server_time"] == T0 + 15
    assert view["round"]["deadline"] == T0 + 65 and view["round"]["remaining"] == 50
    assert view["round"]["allotted"] == 60 and view["round"]["paused"] is False
    assert view["phase"]["deadline"] == T0 + 15 * 60 and view["phase"]["remaining"] == 885


def test_every_action_kind_parses_and_unknown_fields_are_refused() -> None:
    assert isinstance(parse_action("phase", {"action": "start"}), PhaseAction)
    assert isinstance(parse_action("round", {"action": "extend", "seconds": 30}), RoundAction)
    assert isinstance(parse_action("hand", {"action": "raise"}), HandAction)
    assert isinstance(parse_action("control", {"action": "lock"}), ControlAction)
    with pytest.raises(ValueError):
        parse_action("round", {"action": "extend", "seconds": 45})
    with pytest.raises(ValueError):
        parse_action("control", {"action": "lock", "why": "late"})


def test_phase_warnings_say_the_time_left_then_the_time_over() -> None:
    live, pres = room(BALINT_CASE, F, A)
    live = do(live, F, "phase", pres, action="start")  # 2 minutes
    assert next_deadline(live, T0) == T0 + 60
    live, notices, _ = tick(live, T0 + 60)
    assert wire(notices) == [{"kind": "notice", "about": "phase_warning",
                              "warning": "one_minute_left", "seconds": 60.0}]
    live, notices, _ = tick(live, T0 + 125)
    assert wire(notices) == [{"kind": "notice", "about": "phase_warning", "warning": "time_up",
                              "seconds": 5.0}]
    assert live.sequence is not None and live.sequence.index == 0  # never moves on by itself


def test_when_the_phases_end_the_round_ends_with_them() -> None:
    live, pres = room(CHECK_IN_ROUND, F, A, B)
    live = do(live, F, "phase", pres, action="start")
    live = do(live, F, "round", pres, action="start")
    live = do(live, F, "hand", pres, action="order_by_time", enabled=True)
    assert live.round is not None and next_deadline(live, T0) is not None
    ended = do(live, F, "phase", pres, action="end")
    assert ended.round is None and next_deadline(ended, T0) is None
    view = state_view(ended, T0, pres, facilitator=True).data()
    assert view["phase"] is None and view["round"] is None
    advanced = do(live, F, "phase", pres, action="advance")  # past the last phase
    assert advanced.round is None


def test_view_says_when_the_phases_have_ended() -> None:
    live, pres = room(CHECK_IN_ROUND, F, A)
    assert state_view(live, T0, pres, facilitator=False).data()["phases_status"] == "pending"
    live = do(live, F, "phase", pres, action="start")
    assert state_view(live, T0, pres, facilitator=False).data()["phases_status"] == "running"
    live = do(live, F, "phase", pres, action="end")
    view = state_view(live, T0, pres, facilitator=False).data()
    assert view["phases_status"] == "ended" and view["phase"] is None
    assert state_view(Live(), T0, pres, facilitator=False).data()["phases_status"] is None


def test_the_preview_before_the_start_is_the_round_that_runs() -> None:
    """Issue 11 item 7: the queue shown before the start is who speaks, facilitators included
    only when the facilitator chooses; a late facilitator is appended only then."""
    live, pres = room(CHECK_IN_ROUND, F, A, B)
    assert live.round is not None and [t.participant_id for t in live.round.turns] == [A, B]
    live = do(live, F, "round", pres, action="setup", facilitators=True)
    assert live.round is not None and [t.participant_id for t in live.round.turns] == [F, A, B]
    late, _, _ = joined(live, C, ROLES[C], presence(F, A, B, C), T0)
    assert late.round is not None and [t.participant_id for t in late.round.turns][-1] == C
    started = do(late, F, "round", presence(F, A, B, C), action="start")
    assert started.round is not None and started.round.current == F


def test_a_plan_is_composed_added_to_after_the_end_and_edited_live() -> None:
    """Issue 11 item 1: check-in, then a Balint case, then check-out, in one session."""
    from app.facilitation.actions import compose
    from app.templates.defaults import CHECK_OUT_ROUND

    live, pres = room(CHECK_IN_ROUND)
    live = do(live, F, "phase", pres, action="start")
    live = do(live, F, "phase", pres, action="advance")
    assert live.sequence is not None and live.sequence.status.value == "ended"
    live, _, _ = begin(live, compose([BALINT_CASE, CHECK_OUT_ROUND]), pres)
    assert live.sequence is not None and live.sequence.status.value == "pending"
    phase = current_phase(live)
    assert phase is not None and phase.title == BALINT_CASE.phases[0].title
    live = do(live, F, "phase", pres, action="start")
    assert live.sequence is not None
    n = len(live.sequence.template.phases)
    upcoming = [{"at": i} for i in range(2, n)]
    dropped = do(live, F, "phase", pres, action="replan", phases=upcoming[:-1])
    assert dropped.sequence is not None
    assert [p.title for p in dropped.sequence.template.phases][-1] != "Check-out"
    longer = do(live, F, "phase", pres, action="replan",
                phases=[*upcoming[:-1], {"at": n - 1, "duration": 600},
                        CHECK_IN_ROUND.phases[0].model_dump(mode="json")])
    assert longer.sequence is not None
    assert [(p.title, p.duration) for p in longer.sequence.template.phases[-2:]] == \
        [("Check-out", 600), ("Check-in", CHECK_IN_ROUND.phases[0].duration)]
    assert refused(live, F, "phase", pres, action="replan", phases=upcoming[2:]) == \
        "invalid_plan"  # push-back without its presentation
    assert refused(live, F, "phase", pres, action="replan", phases=[{"at": 19}]) == \
        "invalid_plan"
    with pytest.raises(ValidationError):  # the room refuses it as invalid_action
        parse_action("phase", {"action": "replan", "phases": [{"at": 2, "duration": 5}]})
    assert refused(live, A, "phase", pres, action="replan", phases=upcoming) == "not_in_control"
    shown = state_view(live, T0, pres, facilitator=False)
    assert [p.started for p in shown.phases] == [True, True] + [False] * (len(shown.phases) - 2)
