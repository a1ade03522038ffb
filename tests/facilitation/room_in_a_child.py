"""The participants of a room, run in a process of their own (for test_not_recorded.py).

Everything that encodes or decodes media lives here, so that in the test's process - the
server's - any decoder call is the server's. Reads one JSON line on stdin::

    {"url": "ws://127.0.0.1:PORT/rtc", "people": [{"token": ..., "role": ...}, ...],
     "seconds": 3.0, "host": "127.0.0.1"}

Every participant publishes a tone and a small moving picture and subscribes to everyone else
(decoding what arrives, as rtc.client does), with host candidates on ``host`` only (see below).
Writes JSON lines on stdout:

- ``{"event": "receiving", "received": ...}`` once every participant has decoded audio and
  video from every other one: per subscriber and publisher, the frames decoded by kind and the
  RTP packets and payload bytes received;
- ``{"event": "flowing", "received": ...}`` the same after ``seconds`` more of media;
- ``{"event": "live"}`` once the facilitator has started the first phase and its round, so
  the session's live state holds a running round;

then waits for a line on stdin (the test ends the session meanwhile), closes every connection
and writes ``{"event": "closed", ...}`` with the final counts. If media has not reached everyone
within 30 s it writes ``{"event": "stuck", ...}`` with what each participant's connections look
like, and exits. Run from the repository root:
``python -m tests.facilitation.room_in_a_child``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import defaultdict
from typing import Any

import aioice.ice
from aiortc import RTCRtpReceiver

from rtc.client import Client
from tests.rtc.media import PatternVideo, ToneAudio

BEGAN = time.monotonic()
KINDS = ("audio", "video")
RTP: dict[int, list[int]] = defaultdict(lambda: [0, 0])
"""id(receiver) -> [packets, payload bytes] received by the subscribers here."""

_handle = RTCRtpReceiver._handle_rtp_packet


async def _counting(self: RTCRtpReceiver, packet: Any, arrival_time_ms: int) -> None:
    counts = RTP[id(self)]
    counts[0] += 1
    counts[1] += len(packet.payload)
    await _handle(self, packet, arrival_time_ms)


RTCRtpReceiver._handle_rtp_packet = _counting  # type: ignore[method-assign]  # this process only

# One candidate pair per connection. With several (an IPv4 and an IPv6 one, or two IPv4 ones on
# a machine with two interfaces), the two aioice ends can nominate different pairs under load
# (aioice's controlling end nominates aggressively): the client picks one the server's own check
# never validated, rtc/guard.py drops the client's DTLS from it as foreign, and the subscription
# never connects. That is the SFU's to fix and test; here it would only be noise. Importers get
# IPv4 host candidates only; this room, run as a script, uses only the address the brief names,
# as the test's server does (test_not_recorded.py).
_addresses = aioice.ice.get_host_addresses
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: _addresses(use_ipv4, False)


class Participant(Client):
    """rtc.client.Client, noting when each subscription offer came and was answered (or not)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answers: list[list[Any]] = []

    async def _on_offer(self, msg: dict[str, Any]) -> None:
        at = round(time.monotonic() - BEGAN, 2)
        try:
            await super()._on_offer(msg)
        except BaseException as exc:
            self.answers.append([msg["revision"], at, repr(exc)])
            raise
        self.answers.append([msg["revision"], at, round(time.monotonic() - BEGAN, 2)])


def say(event: str, **data: Any) -> None:
    print(json.dumps({"event": event, **data}), flush=True)


def tally(clients: list[Participant]) -> dict[str, Any]:
    """subscriber -> publisher -> {audio, video (frames decoded), packets, bytes}."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for c in clients:
        row = out[c.id] = {}
        for other in clients:
            if other is c:
                continue
            row[other.id] = {k: c.frames_from(other.id, k) for k in KINDS} | {
                "packets": 0, "bytes": 0}
        if c.subscribe_pc is None:
            continue
        for t in c.subscribe_pc.getTransceivers():
            info = c.streams.get(t.mid or "")
            if info is not None and info.participant in row:
                packets, size = RTP.get(id(t.receiver), [0, 0])
                row[info.participant]["packets"] += packets
                row[info.participant]["bytes"] += size
    return out


def ice_pairs(pc: Any) -> Any:
    """The nominated ICE pair and the check list of a peer connection (one transport)."""
    for t in pc.getTransceivers()[:1]:
        ice = t.sender.transport.transport._connection
        return {"dtls": t.sender.transport.state,
                "nominated": [(p.local_candidate.host, p.remote_addr)
                              for p in ice._nominated.values()],
                "checks": [(p.local_candidate.host, p.remote_addr, p.state.name)
                           for p in ice._check_list]}
    return None


def diagnose(clients: list[Participant]) -> dict[str, Any]:
    """For a failure: each participant's connections, ICE pairs, offers answered and the
    server's messages (bar pings, events and peers)."""
    out: dict[str, Any] = {}
    for c in clients:
        pcs = {name: None if pc is None else [pc.signalingState, pc.iceConnectionState,
                                              pc.connectionState, ice_pairs(pc)]
               for name, pc in (("publish", c.publish_pc), ("subscribe", c.subscribe_pc))}
        said = [{k: v for k, v in msg.items() if k not in {"sdp", "streams", "type"}} | {
                 "type": msg["type"][:12]}
                for msg in c.messages if msg["type"] not in {
                    "ping", "event", "peer_joined", "mute_state", "joined", "hello"}]
        out[c.id] = {"pcs": pcs, "messages": said, "answers": c.answers,
                     "subscribed": sorted(c.subscribed())}
    return out


async def wait_for(check: Any, timeout: float, what: str) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def start_round(fac: Client) -> None:
    """The facilitator starts the first phase, then its round (as the room page would)."""

    async def act(kind: str, where: Any, **data: Any) -> None:
        mark = fac.mark()
        await fac.send({"type": "app", "kind": kind, "data": data})
        await fac.expect("event", timeout=10, since=mark,
                         where=lambda m: m["kind"] == "state" and where(m["data"]))

    await act("phase", lambda s: s["round"] is not None, action="start")
    await act("round", lambda s: s["round"]["status"] == "running", action="start")


async def main() -> None:
    brief = json.loads(sys.stdin.readline())
    if brief.get("host"):  # every ICE candidate on this one address
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [brief["host"]]
    clients: list[Participant] = []
    try:
        for person in brief["people"]:
            client = Participant(brief["url"], person["token"], audio=ToneAudio(loud=True),
                                 video=PatternVideo())
            await client.connect()
            clients.append(client)

        def everyone_sees_everyone() -> bool:
            return all(a.frames_from(b.id, "audio") >= 20 and a.frames_from(b.id, "video") >= 5
                       for a in clients for b in clients if a is not b)

        try:
            await wait_for(everyone_sees_everyone, 30, "everyone decoding everyone")
        except TimeoutError:
            say("stuck", received=tally(clients), connections=diagnose(clients))
            raise
        say("receiving", received=tally(clients))
        await asyncio.sleep(brief["seconds"])
        say("flowing", received=tally(clients))
        await start_round(next(c for c, p in zip(clients, brief["people"], strict=True)
                               if p["role"] == "facilitator"))
        say("live")
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    finally:
        for client in clients:
            await client.close()
    say("closed", received=tally(clients))


if __name__ == "__main__":
    asyncio.run(main())
