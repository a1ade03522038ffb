"""Issue 10: a server that cannot keep up sheds video, the least needed first, never audio.

Real aiortc peers over the real WebSocket; the overload level is set by hand (the peers share
the server's process, so the tests' server does not sample its sockets: ``shed_load`` off): how
the level follows the sockets' backlog is tested in test_overload.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rtc.client import Client
from rtc.config import RTCConfig
from rtc.presence import PresenceEvent, WeakLink

from .conftest import Live, eventually, serve
from .test_media import join, sees


def last_told(client: Client) -> dict[str, Any] | None:
    told = [m for m in client.messages if m["type"] == "video_paused"]
    return told[-1] if told else None


async def counts_over(client: Client, seconds: float) -> dict[tuple[str, str], int]:
    """Frames decoded from each (participant, kind) over ``seconds``."""
    keys = [(p, k) for p in ("a", "c") for k in ("audio", "video")]
    before = {key: client.frames_from(*key) for key in keys}
    await asyncio.sleep(seconds)
    return {key: client.frames_from(*key) - before[key] for key in keys}


async def test_a_busy_server_pauses_the_thumbnails_then_all_video_but_never_audio(
        live: Live) -> None:
    clients = {pid: await join(live, pid) for pid in ("a", "b", "c")}
    b = clients["b"]
    events: list[PresenceEvent] = []
    live.server.hub.listeners.append(events.append)
    overload = live.server.hub.overload
    try:
        await eventually(lambda: all(sees(b, ["a", "c"], k, 10) for k in ("audio", "video")),
                         what="b decoding everyone")
        assert last_told(b) is None  # nothing was ever paused
        live.server.control.set_floor("room-1", "c")

        overload.level = 2  # the thumbnails go: b keeps the floor's video, and all audio
        await eventually(lambda: last_told(b) == {"type": "video_paused", "participants": ["a"],
                                                  "reduced": [], "busy": True},
                         what="a's video paused for b, the server busy")
        got = await counts_over(b, 1.5)
        assert got["c", "video"] >= 5, got  # the floor's video flows
        assert got["a", "video"] <= 1, got  # the thumbnail's does not
        assert got["a", "audio"] >= 30 and got["c", "audio"] >= 30, got  # 20 ms frames
        assert sees(clients["a"], ["c"], "video", 10)
        # the floor's own subscriber keeps the video first in its order (b's, say: nobody
        # speaks, so ties go by id): a gets c's video and not b's, c gets a's and not b's
        assert last_told(clients["a"])["participants"] == ["b"]  # type: ignore[index]
        assert last_told(clients["c"])["participants"] == ["b"]  # type: ignore[index]

        overload.level = 4  # all video
        await eventually(lambda: (last_told(b) or {}).get("participants") == ["a", "c"],
                         what="all video paused for b")
        got = await counts_over(b, 1.5)
        assert got["c", "video"] <= 1 and got["a", "video"] <= 1, got
        assert got["a", "audio"] >= 30 and got["c", "audio"] >= 30, got
        assert last_told(b)["busy"] is True  # type: ignore[index]
        # the facilitators are not told anyone's link is weak: it is the server
        assert not [e for e in events if isinstance(e, WeakLink)], events

        overload.level = 0  # it keeps up again: everything comes back
        await eventually(lambda: last_told(b) == {"type": "video_paused", "participants": [],
                                                  "reduced": [], "busy": False},
                         what="nothing paused for b")
        start = {p: b.frames_from(p, "video") for p in "ac"}
        await eventually(lambda: all(b.frames_from(p, "video") >= start[p] + 5 for p in "ac"),
                         what="both videos again, from keyframes")
        assert live.server.hub.forwarder.errors == 0
    finally:
        live.server.hub.listeners.remove(events.append)
        for client in clients.values():
            await client.close()


async def test_a_server_that_sheds_load_watches_its_sockets(
        configure: Callable[..., RTCConfig]) -> None:
    async with serve(configure(shed_load=True)) as live:
        overload = live.server.hub.overload
        client = await join(live, "a")
        try:
            await eventually(lambda: overload.lag > 0, timeout=5, what="samples taken")
            assert overload.level == 0
        finally:
            await client.close()
