"""Signalling over the real WebSocket: handshake, bad input, limits, presence, app events."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from typing import Any

import pytest
import websockets

from rtc import jointoken, presence
from rtc.client import Client
from rtc.messages import SERVER_ADAPTER

from .conftest import SECRET, Live, eventually, serve
from .media import PatternVideo, ToneAudio


class Raw:
    """A bare WebSocket speaking JSON, to send what a well-behaved client never would."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, live: Live) -> Raw:
        return cls(await websockets.connect(live.url, max_size=4 << 20))

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        msg = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        SERVER_ADAPTER.validate_python(msg)
        return msg

    async def call(self, message: dict[str, Any] | str) -> dict[str, Any]:
        await self.send(message)
        return await self.recv()

    async def joined(self, live: Live, pid: str, room: str = "room-1") -> dict[str, Any]:
        assert (await self.call({"type": "hello", "version": 1}))["type"] == "hello"
        reply = await self.call({"type": "join", "token": live.token(pid, room=room)})
        assert reply["type"] == "joined", reply
        return reply

    async def closed(self, timeout: float = 5.0) -> int | None:  # noqa: ASYNC109
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), timeout)
        except websockets.ConnectionClosed:
            return self.ws.close_code


async def test_handshake_and_time(live: Live) -> None:
    raw = await Raw.open(live)
    reply = await raw.joined(live, "a")
    assert reply["participant"] == "a" and reply["participants"] == []
    assert reply["ice_servers"] == []
    t0 = 1234.5
    before = time.time() * 1000
    answer = await raw.call({"type": "time", "t0": t0})
    assert answer["t0"] == t0 and before - 1 <= answer["server_time"] <= time.time() * 1000 + 1
    assert (await raw.call({"type": "ping", "id": "x"})) == {"type": "pong", "id": "x"}
    await raw.send({"type": "leave"})
    assert await raw.closed() == 1000


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "invalid_message"),
        ({"type": "teleport"}, "unknown_type"),
        ({"version": 1}, "unknown_type"),
        ({"type": "mute", "audio": "loud", "video": False}, "invalid_message"),
        ({"type": "mute", "audio": True, "video": False, "colour": "red"}, "invalid_message"),
        ({"type": "hello", "version": 1}, "out_of_order"),
        ({"type": "join", "token": "x.y"}, "out_of_order"),
        ({"type": "subscribe_answer", "revision": 99, "sdp": "v=0"}, "out_of_order"),
        (
            {
                "type": "candidate",
                "target": "publish",
                "candidate": "candidate:1 1 udp 1 1.2.3.4 5 typ host",
            },
            "out_of_order",
        ),
        ({"type": "mute", "audio": True, "video": False, "participant": "b"}, "spoofed"),
        ({"type": "app", "kind": "round.pass", "participant": "b"}, "spoofed"),
        ({"type": "publish", "sdp": "this is not sdp"}, "bad_sdp"),
        ({"type": "app", "kind": "round.pass"}, "app_rejected"),
        ({"type": "app", "kind": "Not A Kind"}, "invalid_message"),
    ],
)
async def test_bad_messages_get_stable_errors_and_the_room_survives(
    live: Live, payload: dict[str, Any] | str, code: str
) -> None:
    bystander = Raw(await websockets.connect(live.url))
    await bystander.joined(live, "b")
    raw = await Raw.open(live)
    await raw.joined(live, "a")
    await bystander.recv()  # peer_joined a
    reply = await raw.call(payload)
    assert reply["type"] == "error" and reply["code"] == code, reply
    # the offender and the room both carry on
    assert (await raw.call({"type": "ping", "id": "1"}))["type"] == "pong"
    assert (await bystander.call({"type": "ping", "id": "2"}))["type"] == "pong"
    assert live.server.control.participants("room-1") == ["b", "a"]


async def test_publish_offers_are_rate_limited(live: Live) -> None:
    raw = await Raw.open(live)
    await raw.joined(live, "a")
    assert (await raw.call({"type": "publish", "sdp": "nonsense"}))["code"] == "bad_sdp"
    assert (await raw.call({"type": "publish", "sdp": "nonsense"}))["code"] == "rate_limited"


async def test_oversized_message(live: Live) -> None:
    raw = await Raw.open(live)
    await raw.joined(live, "a")
    reply = await raw.call(
        json.dumps({"type": "app", "kind": "x", "data": {"pad": "x" * (1 << 20)}})
    )
    assert reply == {
        "type": "error",
        "code": "too_large",
        "ref": None,
        "detail": f"messages are limited to {1 << 20} bytes",
    }
    assert (await raw.call({"type": "ping"}))["type"] == "pong"


@pytest.mark.parametrize(
    ("first", "code", "close"),
    [
        ({"type": "join", "token": "x"}, "out_of_order", 4002),
        ({"type": "hello", "version": 2}, "bad_version", 4002),
        ("garbage", "bad_json", None),
    ],
)
async def test_handshake_errors(live: Live, first: Any, code: str, close: int | None) -> None:
    raw = await Raw.open(live)
    reply = await raw.call(first)
    assert reply["code"] == code
    if close is not None:
        assert await raw.closed() == close


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("forged.token", "bad_token"),
        ("nodot", "bad_token"),
        ("expired", "token_expired"),
        ("wrong-secret", "bad_token"),
        ("a worker's", "bad_token"),
    ],
)
async def test_bad_tokens_are_refused(live: Live, token: str, code: str) -> None:
    if token == "expired":
        token = live.token("a", ttl=-5)
    elif token == "wrong-secret":
        token = live.token("a", secret=b"another secret")
    elif token == "a worker's":  # a token for a media worker's room (rtc/worker.py), not ours
        claims = jointoken.verify(SECRET, live.token("a"))
        token = jointoken.issue(SECRET, dataclasses.replace(claims, worker="w1"))
    raw = await Raw.open(live)
    await raw.call({"type": "hello", "version": 1})
    reply = await raw.call({"type": "join", "token": token})
    assert reply["type"] == "error" and reply["code"] == code
    assert await raw.closed() == 4001
    assert live.server.control.participants("room-1") == []


async def test_first_message_deadline_and_heartbeat(configure: Any) -> None:
    config = configure(first_message_timeout=0.3, ping_after=0.3, drop_after=0.8)
    async with serve(config) as live:
        silent = await Raw.open(live)
        assert (await silent.recv())["code"] == "timeout"
        assert await silent.closed() == 4004
        raw = await Raw.open(live)
        await raw.joined(live, "a")
        ping = await raw.recv(timeout=2)
        assert ping["type"] == "ping"
        await raw.send({"type": "pong", "id": ping["id"]})  # answering keeps it alive
        ping = await raw.recv(timeout=2)
        assert ping["type"] == "ping"
        # now stay silent: dropped as lost
        assert (await raw.recv(timeout=2))["code"] == "timeout"
        assert await raw.closed() == 4004


async def test_rate_limit(configure: Any) -> None:
    async with serve(configure(rate_per_second=5.0, rate_burst=10)) as live:
        raw = await Raw.open(live)
        await raw.joined(live, "a")
        for i in range(20):
            await raw.send({"type": "ping", "id": str(i)})
        replies = [await raw.recv() for _ in range(20)]
        assert sum(r["type"] == "pong" for r in replies) <= 11
        assert any(r.get("code") == "rate_limited" for r in replies)
        await asyncio.sleep(0.5)
        assert (await raw.call({"type": "ping"}))["type"] == "pong"


async def test_room_full(configure: Any) -> None:
    async with serve(configure(max_participants=2)) as live:
        a, b, c = (
            Raw(await websockets.connect(live.url)),
            Raw(await websockets.connect(live.url)),
            Raw(await websockets.connect(live.url)),
        )
        await a.joined(live, "a")
        await b.joined(live, "b")
        await c.call({"type": "hello", "version": 1})
        reply = await c.call({"type": "join", "token": live.token("c")})
        assert reply["code"] == "room_full"
        assert await c.closed() == 4003
        other_room = Raw(await websockets.connect(live.url))
        await other_room.joined(live, "c", room="room-2")
        # a lost participant keeps its seat: c still cannot take it, b can come back
        await b.ws.close()
        await eventually(lambda: live.server.control.participants("room-1") == ["a"])
        c = await Raw.open(live)
        await c.call({"type": "hello", "version": 1})
        assert (await c.call({"type": "join", "token": live.token("c")}))["code"] == "room_full"
        b = await Raw.open(live)
        await b.joined(live, "b")


async def test_presence_events_and_reconnection(configure: Any) -> None:
    async with serve(configure(reconnect_grace=1.0)) as live:
        events = live.server.control.events()
        a = await Raw.open(live)
        await a.joined(live, "a")
        b = await Raw.open(live)
        await b.joined(live, "b")
        assert (await a.recv())["type"] == "peer_joined"
        await b.ws.close()  # dropped without a leave
        left = await a.recv()
        assert left == {"type": "peer_left", "participant": "b", "reason": "lost"}
        b = await Raw.open(live)
        await b.joined(live, "b")  # back within the grace period
        # a second connection for the same participant replaces the first
        b2 = await Raw.open(live)
        await b2.joined(live, "b")
        assert (await b.recv())["code"] == "replaced"
        assert await b.closed() == 4006
        await b2.ws.close()
        await asyncio.sleep(1.5)  # grace expires
        got = []
        while not events.empty():
            got.append(events.get_nowait())
        assert got == [
            presence.Joined("room-1", "a", "member", "Dr a"),
            presence.Joined("room-1", "b", "member", "Dr b"),
            presence.ConnectionLost("room-1", "b"),
            presence.Reconnected("room-1", "b"),
            presence.Reconnected("room-1", "b"),
            presence.ConnectionLost("room-1", "b"),
            presence.Left("room-1", "b", "lost"),
        ]


async def test_facade_events_handler_remove_and_close(live: Live) -> None:
    control = live.server.control
    got: list[presence.AppMessage] = []

    async def handler(message: presence.AppMessage) -> None:
        if message.kind == "round.refuse":
            from rtc.errors import AppRejected

            raise AppRejected("not your turn", code="not_your_turn")
        got.append(message)

    control.set_message_handler(handler)
    a, b = await Raw.open(live), await Raw.open(live)
    await a.joined(live, "a")
    await b.joined(live, "b")
    await a.recv()  # peer_joined
    await a.send({"type": "app", "kind": "round.pass", "data": {"turn": 3}})
    await eventually(lambda: bool(got))
    assert got == [presence.AppMessage("room-1", "a", "member", "round.pass", {"turn": 3})]
    refused = await a.call({"type": "app", "kind": "round.refuse"})
    assert refused["code"] == "not_your_turn"
    assert control.send_event("room-1", {"kind": "round.started", "turn": 1}) == 2
    for ws in (a, b):
        assert await ws.recv() == {"type": "event", "kind": "round.started", "data": {"turn": 1}}
    assert control.send_event("room-1", {"kind": "private"}, participant="b") == 1
    assert (await b.recv())["kind"] == "private"
    assert control.remove_participant("room-1", "b")
    assert (await b.recv())["code"] == "removed"
    assert await b.closed() == 4008
    assert await a.recv() == {"type": "peer_left", "participant": "b", "reason": "removed"}
    control.close_room("room-1")
    assert (await a.recv())["code"] == "room_closed"
    assert await a.closed() == 4007
    again = await Raw.open(live)
    await again.call({"type": "hello", "version": 1})
    assert (await again.call({"type": "join", "token": live.token("a")}))["code"] == "room_closed"


async def test_mute_state_is_broadcast(live: Live) -> None:
    a, b = await Raw.open(live), await Raw.open(live)
    await a.joined(live, "a")
    joined = await b.joined(live, "b")
    assert [p["id"] for p in joined["participants"]] == ["a"]
    await a.recv()
    await a.send({"type": "mute", "audio": True, "video": False, "participant": "a"})
    expected = {
        "type": "mute_state",
        "participant": "a",
        "audio_muted": True,
        "video_muted": False,
        "forced_mute": False,
    }
    assert await a.recv() == expected
    assert await b.recv() == expected


async def test_server_close_disconnects_everyone(rtc_config: Any) -> None:
    async with serve(rtc_config) as live:
        client = Client(live.url, live.token("a"), audio=ToneAudio(), video=PatternVideo())
        await client.connect()
        await live.server.close()
        msg = await client.expect("_closed", since=0)
        assert msg["code"] == 1001
        await client.close(leave=False)


async def test_logs_carry_no_names_tokens_or_addresses(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="rtc")
    token = live.token("a")
    client = Client(live.url, token, audio=ToneAudio(), video=PatternVideo())
    await client.connect()
    raw = await Raw.open(live)
    await raw.call({"type": "hello", "version": 1})
    await raw.call({"type": "join", "token": live.token("b", ttl=-1)})  # refused
    await client.close()
    await eventually(lambda: live.server.control.participants("room-1") == [])
    records = [r for r in caplog.records if r.name.startswith("rtc")]
    assert any("a participant joined room" in r.getMessage() for r in records)  # captured
    for record in records:
        text = record.getMessage() + (record.exc_text or "")
        assert "participant a " not in text  # who was in which room is attendance
        assert "Dr a" not in text and "Dr b" not in text
        assert token not in text and token.split(".")[0] not in text
        assert "127.0.0.1" not in text


async def _real_offer() -> str:
    from aiortc import RTCPeerConnection
    from aiortc.mediastreams import AudioStreamTrack

    pc = RTCPeerConnection()
    try:
        pc.addTrack(AudioStreamTrack())
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


@pytest.mark.parametrize("spoil", ["no fingerprint", "mid outside the bundle"])
async def test_a_spoilt_offer_is_refused_and_the_connection_goes_on(live: Live, spoil: str) -> None:
    sdp = await _real_offer()
    if spoil == "no fingerprint":
        sdp = "".join(line for line in sdp.splitlines(keepends=True)
                      if not line.startswith("a=fingerprint:"))
    else:
        sdp = sdp.replace("a=mid:0", "a=mid:9")
    raw = await Raw.open(live)
    await raw.joined(live, "a")
    reply = await raw.call({"type": "publish", "sdp": sdp})
    assert reply["type"] == "error" and reply["code"] == "bad_sdp", reply
    assert (await raw.call({"type": "ping", "id": "1"}))["type"] == "pong"

