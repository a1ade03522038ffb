"""The message module: every client message round-trips; no input crashes the parser."""

from __future__ import annotations

import json
from typing import Any

import pydantic
from hypothesis import given, settings
from hypothesis import strategies as st

from rtc import messages as m

STABLE = {"bad_json", "unknown_type", "invalid_message"}

EXAMPLES: list[dict[str, Any]] = [
    {"type": "hello", "version": 1},
    {"type": "join", "token": "a.b"},
    {"type": "publish", "sdp": "v=0"},
    {"type": "subscribe_answer", "revision": 2, "sdp": "v=0"},
    {"type": "candidate", "target": "subscribe", "candidate": "", "sdpMid": "0"},
    {"type": "mute", "audio": True, "video": False, "participant": "m-1"},
    {"type": "receive", "video": False},
    {"type": "tiles", "heights": {"m-1": 120, "m-2": 480}},
    {"type": "leave"},
    {"type": "ping", "id": "1"},
    {"type": "pong"},
    {"type": "time", "t0": 12.5},
    {"type": "app", "kind": "round.pass", "data": {"x": [1, 2]}},
]


def test_every_client_message_parses_and_round_trips() -> None:
    kinds = set()
    for example in EXAMPLES:
        msg = m.parse_client(json.dumps(example))
        kinds.add(msg.type)
        again = m.parse_client(msg.model_dump_json(exclude_none=True))
        assert again == msg
    union = m.ClientMessage.__origin__.__args__  # type: ignore[attr-defined]
    assert kinds == {cls.model_fields["type"].annotation.__args__[0] for cls in union}


def test_tiles_refuses_what_is_not_a_height() -> None:
    for heights in ({"m-1": -1}, {"m-1": "big"}, {"x" * 65: 100},
                    {f"m-{n}": 100 for n in range(65)}, {"m-1": 100_001}):
        try:
            m.parse_client(json.dumps({"type": "tiles", "heights": heights}))
        except pydantic.ValidationError as exc:
            assert m.classify(exc).code == "invalid_message"
        else:
            raise AssertionError(f"accepted {heights}")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
message_like = st.fixed_dictionaries(
    {"type": st.sampled_from([e["type"] for e in EXAMPLES] + ["teleport", ""])},
    optional={
        "version": json_values,
        "token": json_values,
        "sdp": json_values,
        "revision": json_values,
        "audio": json_values,
        "participant": json_values,
        "kind": json_values,
        "data": json_values,
        "extra": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, message_like).map(json.dumps) | st.text(max_size=50))
def test_no_input_crashes_the_parser(text: str) -> None:
    try:
        m.parse_client(text)
    except pydantic.ValidationError as exc:
        assert m.classify(exc).code in STABLE


def test_server_messages_are_documented() -> None:
    doc = (m.__file__ or "").replace("rtc/messages.py", "docs/protocol.md")
    text = open(doc).read()
    union = m.ServerMessage.__origin__.__args__  # type: ignore[attr-defined]
    for cls in union:
        kind = cls.model_fields["type"].default
        assert f'"type": "{kind}"' in text, kind
    for example in EXAMPLES:
        assert f"### {example['type']}" in text or example["type"] in ("pong",), example["type"]
