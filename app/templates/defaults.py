"""The default templates: check-in, Balint case, Team Time, pairs and check-out.

Durations follow the field (see DOMAIN.md): check-in turns 30 s – 2 min (1 min by default), a
Balint case of about 45 minutes with a silent presenter during push-back, Team Time of 30–45
minutes starting and ending on time, a few minutes in pairs, and a one-sentence check-out.
"""

from __future__ import annotations

from app.rounds.phases import FloorRule, Layout, Phase, PhaseKind, Template, TurnSpec

MIN = 60

CHECK_IN = Phase(
    kind=PhaseKind.round,
    title="Check-in",
    duration=15 * MIN,
    prompt="How are you arriving today? No comments on each other's check-in. "
    "You can pass; you will be offered a turn again at the end.",
    floor=FloorRule.speaker,
    layout=Layout.spotlight,
    turn=TurnSpec(length=60, min=30, max=120),
)

CHECK_OUT = Phase(
    kind=PhaseKind.round,
    title="Check-out",
    duration=6 * MIN,
    prompt="One sentence: what are you taking away?",
    floor=FloorRule.speaker,
    layout=Layout.spotlight,
    turn=TurnSpec(length=30, min=15, max=60),
)

CHECK_IN_ROUND = Template(
    name="Check-in round",
    description="Everyone in turn, about a minute each, no comments; pass is allowed.",
    phases=(CHECK_IN,),
)

BALINT_CASE = Template(
    name="Balint case",
    description="One doctor presents a case; the group discusses it while the presenter "
    "listens, then the presenter returns.",
    phases=(
        Phase(
            kind=PhaseKind.open,
            title="Who has a case?",
            duration=2 * MIN,
            prompt="Who has a case they would like to bring today?",
            floor=FloorRule.facilitator,
        ),
        Phase(
            kind=PhaseKind.presentation,
            title="Presentation",
            duration=10 * MIN,
            prompt="Tell us about the patient, without notes. The group listens.",
            floor=FloorRule.speaker,
            layout=Layout.spotlight,
        ),
        Phase(
            kind=PhaseKind.questions,
            title="Clarifying questions",
            duration=5 * MIN,
            prompt="Short factual questions only; keep your thoughts for the discussion.",
            floor=FloorRule.open_hands,
        ),
        Phase(
            kind=PhaseKind.discussion,
            title="Push-back",
            duration=25 * MIN,
            prompt="The presenter sits back and listens. What did the case stir in you? "
            "No advice, no judgement.",
            floor=FloorRule.presenter_muted,
            layout=Layout.presenter_aside,
        ),
        Phase(
            kind=PhaseKind.push_back_return,
            title="Presenter returns",
            duration=5 * MIN,
            prompt="The presenter rejoins: what was it like to listen?",
            floor=FloorRule.open_hands,
        ),
        Phase(
            kind=PhaseKind.close,
            title="Close",
            duration=3 * MIN,
            prompt="Thank you to the presenter. What is said here stays here.",
            floor=FloorRule.facilitator,
        ),
    ),
)

TEAM_TIME = Template(
    name="Team Time",
    description="One or two uninterrupted stories, then a facilitated discussion; "
    "starts and ends on time.",
    phases=(
        Phase(
            kind=PhaseKind.open,
            title="Welcome",
            duration=3 * MIN,
            prompt="Welcome. The stories are heard without interruption.",
            floor=FloorRule.facilitator,
        ),
        Phase(
            kind=PhaseKind.presentation,
            title="First story",
            duration=5 * MIN,
            prompt="A story from practice, told without interruption.",
            floor=FloorRule.speaker,
            layout=Layout.spotlight,
        ),
        Phase(
            kind=PhaseKind.presentation,
            title="Second story",
            duration=5 * MIN,
            prompt="A second story, told without interruption.",
            floor=FloorRule.speaker,
            layout=Layout.spotlight,
        ),
        Phase(
            kind=PhaseKind.discussion,
            title="Discussion",
            duration=20 * MIN,
            prompt="What resonated? Raise your hand to speak.",
            floor=FloorRule.open_hands,
        ),
        Phase(
            kind=PhaseKind.close,
            title="Close",
            duration=2 * MIN,
            prompt="Thank you to the storytellers. We end on time.",
            floor=FloorRule.facilitator,
        ),
    ),
)

PAIRS = Template(
    name="Pairs",
    description="A few minutes of near-peer support in pairs, then everyone returns.",
    phases=(
        Phase(
            kind=PhaseKind.pairs,
            title="Pairs",
            duration=8 * MIN,
            prompt="In pairs: one speaks for half the time while the other listens, then swap.",
            floor=FloorRule.open_hands,
            group_size=2,
        ),
        Phase(
            kind=PhaseKind.discussion,
            title="Back together",
            duration=5 * MIN,
            prompt="Anything you would like to bring back to the group?",
            floor=FloorRule.open_hands,
        ),
    ),
)

CHECK_OUT_ROUND = Template(
    name="Check-out round",
    description="One sentence each, about 30 seconds.",
    phases=(CHECK_OUT,),
)

DEFAULT_TEMPLATES: tuple[Template, ...] = (
    CHECK_IN_ROUND,
    BALINT_CASE,
    TEAM_TIME,
    PAIRS,
    CHECK_OUT_ROUND,
)
"""The templates a new installation offers, in the order of a typical session."""
