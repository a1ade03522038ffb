"""bench/sfu.py's load generator: one child process holding some of the synthetic participants.

    python bench/loadgen.py --clip CLIP.pickle [--cpus 1,2] [--rcvbuf BYTES]

bench/sfu.py starts ``--client-procs`` of these, so that the participants' aiortc stacks (DTLS,
SRTP, RTP parsing: hundreds of peer connections' worth) do not share one interpreter with each
other and with the bench's orchestration. Each holds a share of every room's participants
(participant i of a room goes to process i mod N). A participant publishes the replayed clip
(``sfu.ReplayVideo``/``sfu.ReplayAudio``, the ``sfu.Clip`` the parent encoded once and pickled) and
counts what its subscribe connection receives without decoding (``sfu.install_counter``).

The parent talks to it in JSON lines: requests on stdin (``{"id", "op", ...}``), one answer per
request on the process's original stdout (``{"id", "ok", ...}``); fd 1 is pointed at stderr so
that nothing else (a library's print) can corrupt the answers. Requests run concurrently.

* ``join`` (``mode``, ``url``, ``pid``, and ``token`` or Janus ``room``): connect, publish, wait
  until the publish connection is ``connected``; answers ``joined_at`` (CLOCK_MONOTONIC, the
  same clock in every process) and Janus's ``feed``. A failed attempt is closed; the parent
  retries.
* ``subscribe`` (Janus only: ``pid``, ``feeds``): subscribe to the other publishers.
* ``snapshot`` (``stats``: also read the senders' outbound-rtp ``packetsSent``, which is slower):
  per participant what it received (packets, video frames, per publisher, first keyframe
  times), the video frames its track produced and how many of its two peer connections are
  not ``connected``; and aioice's consent expiries in this process.
* ``close``: close every participant; the process exits after answering.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import socket
import sys
import time
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

import sfu  # noqa: E402

from rtc.client import Client  # noqa: E402


class Participant:
    def __init__(self, pid: str, client: Any, counts: sfu.Counts, video: sfu.ReplayVideo,
                 audio: sfu.ReplayAudio) -> None:
        self.pid, self.client, self.counts = pid, client, counts
        self.video, self.audio = video, audio


class Generator:
    def __init__(self, clip: sfu.Clip, answers: Any) -> None:
        self.clip = clip
        self.answers = answers
        self.participants: dict[str, Participant] = {}

    def answer(self, message: dict[str, Any]) -> None:
        self.answers.write(json.dumps(message) + "\n")
        self.answers.flush()

    async def join(self, mode: str, url: str, pid: str, token: str = "", room: int = 0) -> dict:
        video, audio = sfu.ReplayVideo(self.clip), sfu.ReplayAudio(self.clip)
        client: Any
        if mode == "janus":
            import janus_client

            client = janus_client.JanusParticipant(
                url, room, pid, audio=audio, video=video
            )
        else:
            client = Client(url, token, audio=audio, video=video, decode=False)
            client.timeout = sfu.JOIN_TIMEOUT  # an overloaded server answers slowly
        counts = sfu.Counts()
        sfu.install_counter(client, counts)
        try:
            await client.connect()
            joined_at = time.monotonic()
            assert client.publish_pc is not None
            await sfu.wait_connected(client.publish_pc, sfu.JOIN_TIMEOUT)
        except BaseException:
            await client.close()
            raise
        sender = next(t.sender for t in client.publish_pc.getTransceivers() if t.kind == "video")
        sender._send_keyframe = video.request_keyframe
        self.participants[pid] = Participant(pid, client, counts, video, audio)
        return {"joined_at": joined_at, "feed": getattr(client, "feed", 0)}

    async def subscribe(self, pid: str, feeds: dict[str, str]) -> dict:
        await self.participants[pid].client.subscribe({int(f): p for f, p in feeds.items()})
        return {}

    async def snapshot(self, stats: bool = False) -> dict:
        out = {}
        for pid, p in self.participants.items():
            c, client = p.counts, p.client
            published = 0
            if stats and client.publish_pc is not None:
                for sender in client.publish_pc.getSenders():
                    for stat in (await sender.getStats()).values():
                        if stat.type == "outbound-rtp":
                            published += stat.packetsSent
            out[pid] = {
                "packets": c.packets,
                "audio_packets": c.audio_packets,
                "audio_sent": p.audio.count,
                "video_frames": c.video_frames,
                "first_frame": dict(c.first_frame),
                "frames_from": dict(c.frames_from),
                "sent": p.video.count,
                "published": published,
                "down": sum(
                    pc is None or pc.connectionState != "connected"
                    for pc in (client.publish_pc, client.subscribe_pc)
                ),
            }
        return {"participants": out, "consent": sfu.CONSENT.count}

    async def close(self) -> dict:
        await asyncio.gather(
            *(p.client.close() for p in self.participants.values()), return_exceptions=True
        )
        self.participants.clear()
        return {}

    async def handle(self, request: dict[str, Any]) -> None:
        op = request.pop("op")
        rid = request.pop("id")
        try:
            result = await getattr(self, op)(**request)
            self.answer({"id": rid, "ok": True, **result})
        except Exception as exc:  # noqa: BLE001 (the parent counts and reports it)
            self.answer({"id": rid, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]})


def enlarge_receive_buffers(loop: asyncio.AbstractEventLoop, size: int) -> None:
    """Every UDP socket this process's ICE agents open gets SO_RCVBUF ``size`` (the kernel caps
    it at net.core.rmem_max and doubles it for its bookkeeping)."""
    create = loop.create_datagram_endpoint

    async def create_datagram_endpoint(*args: Any, **kwargs: Any) -> Any:
        transport, protocol = await create(*args, **kwargs)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        return transport, protocol

    loop.create_datagram_endpoint = create_datagram_endpoint  # type: ignore[method-assign]


async def main(clip: sfu.Clip, rcvbuf: int = 0) -> None:
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray prints go to stderr, not into the answers
    sfu.count_consent_expiries()
    generator = Generator(clip, answers)
    loop = asyncio.get_running_loop()
    if rcvbuf:
        enlarge_receive_buffers(loop, rcvbuf)
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tasks: set[asyncio.Task[None]] = set()
    while line := await reader.readline():
        request = json.loads(line)
        closing = request["op"] == "close"
        task = asyncio.ensure_future(generator.handle(request))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if closing:
            await task
            break
    await generator.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", required=True, help="the pickled sfu.Clip")
    parser.add_argument("--cpus", help="run on these CPUs only (comma separated)")
    parser.add_argument("--rcvbuf", type=int, default=0, help="SO_RCVBUF of its UDP sockets")
    ns = parser.parse_args()
    if ns.cpus:
        os.sched_setaffinity(0, {int(c) for c in ns.cpus.split(",")})
    video, audio, temporal = pickle.loads(Path(ns.clip).read_bytes())
    if temporal:  # frames marked with their temporal layer, as a browser's L1T3
        import shaped_room

        shaped_room.packetize_layers()
    asyncio.run(main(sfu.Clip(video=video, audio=audio, temporal=temporal), ns.rcvbuf))
