"""One member on a lossy link (for test_lossy_link.py), run inside a network namespace.

Reuses room_in_a_child.py's participant (its RTP counting and IPv4-only host candidates come with
the import). Reads one JSON line on stdin: ``{"url": "ws://10.203.7.1:PORT/rtc", "token": ...}``,
joins, publishes a tone and a moving picture and subscribes to everyone else. Writes JSON lines
on stdout:

- ``{"event": "joined", "id": ...}`` once in the room;
- ``{"event": "sample", "at": <time.monotonic()>, "received": {publisher: {audio, video,
  packets}}, "sent": {audio: packets, video: packets}, "versions": [...]}`` every 0.25 s: the
  frames decoded and RTP packets received from each publisher, the RTP packets this member has
  sent, and the versions of every ``state`` event received so far;

until a line on stdin, then closes and writes ``{"event": "closed"}``. Run from the repository
root: ``python -m tests.facilitation.lossy_member``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from tests.facilitation.room_in_a_child import RTP, Participant, say
from tests.rtc.media import PatternVideo, ToneAudio


async def sent(client: Participant) -> dict[str, int]:
    out = {"audio": 0, "video": 0}
    if client.publish_pc is None:
        return out
    for stat in (await client.publish_pc.getStats()).values():
        if stat.type == "outbound-rtp":
            out[stat.kind] = out.get(stat.kind, 0) + stat.packetsSent
    return out


def received(client: Participant) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for info in client.streams.values():
        out.setdefault(info.participant, {"audio": 0, "video": 0, "packets": 0,
                                          "video_packets": 0})
    for who, row in out.items():
        row["audio"] = client.frames_from(who, "audio")
        row["video"] = client.frames_from(who, "video")
    if client.subscribe_pc is not None:
        for t in client.subscribe_pc.getTransceivers():
            info = client.streams.get(t.mid or "")
            if info is not None and info.participant in out:
                packets = RTP.get(id(t.receiver), [0, 0])[0]
                out[info.participant]["packets"] += packets
                if t.kind == "video":
                    out[info.participant]["video_packets"] += packets
    return out


async def main() -> None:
    brief = json.loads(sys.stdin.readline())
    client = Participant(brief["url"], brief["token"], audio=ToneAudio(loud=True),
                         video=PatternVideo())
    client.timeout = 30.0  # the answers come over a lossy (retransmitting) TCP link
    stop = asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    try:
        await client.connect()
        say("joined", id=client.id)
        while not stop.done():
            versions: list[Any] = [m["data"]["version"] for m in client.messages
                                   if m["type"] == "event" and m["kind"] == "state"]
            say("sample", at=time.monotonic(), received=received(client),
                sent=await sent(client), versions=versions)
            await asyncio.wait([stop], timeout=0.25)
    finally:
        await client.close()
    say("closed")


if __name__ == "__main__":
    asyncio.run(main())
