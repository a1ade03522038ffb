"""Real aiortc peers over the real WebSocket: media flows, follows membership, recovers loss."""

from __future__ import annotations

import asyncio

from rtc.client import Client

from .conftest import Live, eventually
from .media import PatternVideo, ToneAudio


async def join(live: Live, pid: str, *, loud: bool = False) -> Client:
    client = Client(live.url, live.token(pid), audio=ToneAudio(loud=loud), video=PatternVideo())
    await client.connect()
    return client


def sees(client: Client, others: list[str], kind: str, at_least: int) -> bool:
    return all(client.frames_from(o, kind) >= at_least for o in others)


async def test_three_participants_receive_each_other(live: Live) -> None:
    ids = ["a", "b", "c"]
    clients = [await join(live, pid) for pid in ids]
    try:
        for client in clients:
            others = [o for o in ids if o != client.id]
            await eventually(lambda c=client, o=others: sees(c, o, "video", 10)
                             and sees(c, o, "audio", 10), what=f"{client.id} decoding media")
            assert client.subscribed() == {(o, k) for o in others for k in ("audio", "video")}
            sizes = {rec.last_size for rec in client.received.values() if rec.last_size}
            assert sizes == {(160, 120)}
        assert live.server.hub.forwarder.errors == 0
    finally:
        for client in clients:
            await client.close()
