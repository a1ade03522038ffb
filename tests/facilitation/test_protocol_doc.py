"""docs/protocol.md's Facilitation section and the frontend's JSDoc typedefs agree with the
message models of app/facilitation/messages.py: every kind and action the server accepts, and
every field of every event it sends."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

from pydantic import BaseModel

from app.facilitation.messages import (
    KINDS,
    Chat,
    ChatRequest,
    ClockView,
    ControlAction,
    ControlsNotice,
    HandAction,
    HandsView,
    PairsNotice,
    PairsRequest,
    PairsView,
    PhaseAction,
    PhaseNotice,
    PhaseView,
    PhaseWarning,
    RoomNotice,
    RoundAction,
    RoundNotice,
    RoundView,
    State,
    TalkTime,
    TurnNotice,
    TurnView,
    Waiting,
    Word,
    WordRequest,
)

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "protocol.md"
JSDOC = ROOT / "frontend" / "static" / "events.js"
NOTICES = (TurnNotice, PhaseNotice, PhaseWarning, RoundNotice, ControlsNotice, RoomNotice,
           PairsNotice)


def section(kind: str, part: str = "### Client to server") -> str:
    text = DOC.read_text().split("\n## Facilitation\n", 1)[1].split(f"\n{part}\n", 1)[1]
    return text.split(f"\n#### {kind}\n", 1)[1].split("\n#### ", 1)[0].split("\n### ", 1)[0]


def fields(model: type[BaseModel]) -> set[str]:
    """The model's fields as the event's data has them (an event's own ``kind`` is not data,
    nor a field the message leaves out)."""
    own = {"kind"} if model in (State, TalkTime, Word, Chat) else set()
    return {n for n, f in model.model_fields.items() if not f.exclude} - own


def test_every_kind_has_its_paragraph() -> None:
    for kind in KINDS:
        assert section(kind).strip(), kind


def test_every_action_is_documented_under_its_kind() -> None:
    for model in (PhaseAction, RoundAction, HandAction, ControlAction, PairsRequest, WordRequest,
                  ChatRequest):
        kind = typing.get_args(model.model_fields["kind"].annotation)[0]
        actions = typing.get_args(model.model_fields["action"].annotation)
        text = section(kind)
        missing = [a for a in actions if f"`{a}`" not in text and f'"{a}"' not in text]
        assert not missing, f"{kind}: {missing} are not in docs/protocol.md"


def example(kind: str) -> dict[str, typing.Any]:
    block = section(kind, "### Server to client").split("```json\n", 1)[1].split("\n```", 1)[0]
    message = json.loads(block)
    assert message["type"] == "event" and message["kind"] == kind
    data: dict[str, typing.Any] = message["data"]
    return data


def test_the_state_example_has_every_field_of_the_model() -> None:
    data = example("state")
    assert set(data) == fields(State)
    assert set(data["phase"]) == fields(PhaseView)
    assert set(data["round"]) == fields(RoundView)
    assert set(data["round"]["turns"][0]) == fields(TurnView)
    assert set(data["hands"]) == fields(HandsView)
    assert set(data["lobby"][0]) == fields(Waiting)
    State.model_validate(data)  # and it is a state the server could send
    block = section("state", "### Server to client").split("```json\n")[2].split("\n```")[0]
    pairs = json.loads(block)
    assert set(pairs) == fields(PairsView)
    PairsView.model_validate(pairs)


def test_every_notice_and_its_fields_are_documented() -> None:
    text = section("notice", "### Server to client")
    for model in NOTICES:
        about = model.model_fields["about"].default
        assert f"`{about}`" in text, about
        for name in fields(model) - {"about"}:
            assert f"`{name}`" in text, f"{about}: {name}"
    data = example("notice")
    TurnNotice.model_validate(data)


def test_the_talk_time_example_is_the_model() -> None:
    TalkTime.model_validate(example("talk_time"))


def test_the_word_and_chat_examples_are_the_models() -> None:
    for kind, model in (("word", Word), ("chat", Chat)):
        data = example(kind)
        assert set(data) == fields(model), kind
        model.model_validate(data)


def top_level_keys(fields: str) -> set[str]:
    """``a: number, b?: {c: string}[]`` gives {"a", "b"}."""
    keys, depth, start = set(), 0, True
    for match in re.finditer(r"[{}\[\]()<>,]|(\w+)\??:", fields):
        token = match.group(0)
        if token in "{[(<":
            depth += 1
        elif token in "}])>":
            depth -= 1
        elif token == ",":
            start = depth == 0
        elif start and depth == 0:
            keys.add(match.group(1))
            start = False
    return keys


def typedefs() -> dict[str, set[str]]:
    """Each JSDoc typedef of events.js with the fields of its object type (intersections
    with another typedef included)."""
    text = re.sub(r"\n\s*\*\s*", " ", JSDOC.read_text())
    found: dict[str, tuple[list[str], set[str]]] = {}
    for body, name in re.findall(r"@typedef \{(.+?)\} (\w+)", text):
        bases = re.findall(r"^(\w+) &", body)
        inner = re.search(r"\{(.*)\}", body)
        found[name] = (bases, top_level_keys(inner.group(1)) if inner else set())
    return {n: keys.union(*(found[b][1] for b in bases)) for n, (bases, keys) in found.items()}


def test_the_jsdoc_typedefs_have_the_fields_of_the_models() -> None:
    defs = typedefs()
    models: dict[str, type[BaseModel]] = {
        "ClockView": ClockView, "TurnView": TurnView, "PhaseView": PhaseView,
        "RoundView": RoundView, "HandsView": HandsView, "Waiting": Waiting, "LiveState": State,
        "TalkTime": TalkTime, "PairsView": PairsView, "Word": Word, "Chat": Chat,
        **{m.__name__: m for m in NOTICES},
    }
    for name, model in models.items():
        assert name in defs, f"events.js has no typedef {name}"
        assert defs[name] == fields(model), f"{name}: {defs[name] ^ fields(model)}"
