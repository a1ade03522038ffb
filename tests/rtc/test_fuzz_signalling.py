"""Junk on the signalling socket (issue 17): WebSocket messages and SDP offers drawn by
hypothesis (the same ones on every run) at a joined connection. Every reply is a documented
message (an `error` with a stable code, or the normal answer), the connection and the room
survive, and nothing raises on the server."""

from __future__ import annotations

import json
import logging
import typing
from collections.abc import Callable

import pytest
from hypothesis import strategies as st

from rtc import messages as m
from rtc.config import RTCConfig
from tests.rtc.conftest import drawn, serve
from tests.rtc.test_signalling import Raw, _real_offer

TYPES = sorted(typing.get_args(c.model_fields["type"].annotation)[0]
               for c in m._ClientMessage.__subclasses__())
CODES = {"bad_json", "unknown_type", "invalid_message", "too_large", "rate_limited",
         "out_of_order", "spoofed", "bad_sdp", "bad_candidate", "app_rejected"}

ANSWERS = {"error", "pong", "time", "publish_answer", "subscribe_offer", "mute_state", "event",
           "peer_joined", "peer_left"}
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(
    max_size=40)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=10), inner, max_size=4), max_leaves=12)
messages = st.one_of(
    st.text(max_size=200),  # not JSON, or JSON of the wrong shape
    values.map(json.dumps),
    st.fixed_dictionaries({"type": st.sampled_from(TYPES)},
                          optional={k: values for k in ("sdp", "id", "t0", "audio", "video",
                                                          "kind", "data", "target", "candidate",
                                                          "sdpMid", "participant", "revision",
                                                          "version", "token")}).map(json.dumps),
)


async def test_junk_messages_get_documented_answers(configure: Callable[..., RTCConfig],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    junk = [t for t in drawn(messages, 150) if '"leave"' not in t]  # a leave is a goodbye
    fast = configure(rate_per_second=1e6, rate_burst=1_000_000)  # the limit is tested elsewhere
    async with serve(fast) as live:
        bystander = await Raw.open(live)
        await bystander.joined(live, "b")
        raw = await Raw.open(live)
        await raw.joined(live, "a")
        with caplog.at_level(logging.ERROR):
            for text in junk:
                await raw.send(text)
                reply = await raw.call({"type": "ping", "id": "after"})
                while reply != {"type": "pong", "id": "after"}:  # what the junk earned first
                    assert reply["type"] in ANSWERS, reply
                    if reply["type"] == "error":
                        assert reply["code"] in CODES, reply
                    reply = await raw.recv()
        reply = await bystander.call({"type": "ping", "id": "b"})  # after its news of a
        while reply != {"type": "pong", "id": "b"}:
            reply = await bystander.recv()
        assert live.server.control.participants("room-1") == ["b", "a"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def spoil(sdp: str, cuts: list[int], junk: str) -> str:
    lines = sdp.splitlines()
    for cut in cuts:
        if lines:
            del lines[cut % len(lines)]
    return "\r\n".join(lines[: len(lines) // 2] + [junk] + lines[len(lines) // 2:]) + "\r\n"


async def test_spoilt_offers_are_answered_or_refused(configure: Callable[..., RTCConfig],
                                                     caplog: pytest.LogCaptureFixture) -> None:
    offer = await _real_offer()
    cases = drawn(st.tuples(st.lists(st.integers(0, 200), max_size=3), st.text(max_size=60)), 25)
    answered = 0
    async with serve(configure(publish_interval=0.0)) as live:
        raw = await Raw.open(live)
        await raw.joined(live, "a")
        with caplog.at_level(logging.ERROR):
            for cuts, junk in cases:
                reply = await raw.call({"type": "publish", "sdp": spoil(offer, cuts, junk)})
                assert reply["type"] == "publish_answer" or reply.get("code") == "bad_sdp", reply
                answered += reply["type"] == "publish_answer"
        assert (await raw.call({"type": "ping", "id": "end"}))["type"] == "pong"
    assert 0 < answered < len(cases)  # both kinds were drawn
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
