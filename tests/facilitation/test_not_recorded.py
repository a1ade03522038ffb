"""'Not recorded', shown on a running room rather than only designed.

The server (a ``Stage``: the real app under uvicorn) runs in this process; its three participants
run in a child process (``room_in_a_child.py``), publishing a tone and a moving picture and
decoding what the server forwards them. So every encoder and decoder is in the child, and in this
process any decoder call is the server's. While the room runs, for several seconds of media in
every direction and then with a round under way:

1. no decoder here ever gets a frame: ``get_decoder`` (wherever it is imported) and the
   ``decode`` of every aiortc decoder class are counted, and stay at 0 while the child decodes
   media from every other participant; a throwaway local aiortc pair in this process afterwards
   shows that the same counters do count a decoding receiver;
2. no file is opened for writing (or created) under the server's data directory or the temp
   directory: an audit hook records such ``open`` events during the session, and is shown to
   record a write made there on purpose afterwards. SQLite's own writes happen in its C library
   and are not audited; the database may hold the live state, which the next point bounds;
3. afterwards nothing said remains: while only media flows (everyone in, nothing done) the
   database files grow by less than a quarter of the RTP payload the server takes meanwhile (a
   heartbeat a second is all they take), by at most ``GROWTH`` bytes from the joins to a
   running round; and the server's logs - at debug for app/ and rtc/ - hold no live-state key,
   no participant's name and no binary argument. That an ended session's live state is wiped
   from the files is test_nothing_left_on_disk.py's; here the live-state keys are shown to be
   in the files during the session, so the log scan is not vacuous.

Every ICE candidate, the server's and the participants', is on loopback: one candidate pair per
connection, so that the room connects whatever interfaces the machine has (see
room_in_a_child.py for the failure several pairs can cause).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aioice.ice
import aiortc.codecs
import pytest
from aiortc import RTCPeerConnection
from aiortc.codecs.base import Decoder
from sqlalchemy.engine import make_url

from app.ops.logging import JsonFormatter
from tests.facilitation.stage import Stage
from tests.facilitation.test_nothing_left_on_disk import MARKS, on_disk
from tests.rtc.media import PatternVideo, ToneAudio

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 3.0
"""Media in every direction, after everyone has received everyone."""
LOOPBACK = "127.0.0.1"
"""The one address of every ICE candidate, the server's and the participants'."""
GROWTH = 128 * 1024
"""Bytes the SQLite files may grow by from the joins to a running round (the live state)."""


# ---------------------------------------------------------------- 1. decoders


@dataclass
class Decoding:
    created: Counter[str] = field(default_factory=Counter)
    """get_decoder calls, by MIME type."""
    decoded: Counter[str] = field(default_factory=Counter)
    """decode calls, by decoder class."""

    def total(self) -> int:
        return sum(self.created.values()) + sum(self.decoded.values())


def _subclasses(cls: type) -> list[type]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


def count_decoders(monkeypatch: pytest.MonkeyPatch) -> Decoding:
    """Wrap aiortc's decoder entry points, in every module that holds them, with counters."""
    counts = Decoding()
    real_get = aiortc.codecs.get_decoder

    def get_decoder(codec: Any) -> Decoder:
        counts.created[codec.mimeType] += 1
        return real_get(codec)

    for module in list(sys.modules.values()):
        if getattr(module, "get_decoder", None) is real_get:
            monkeypatch.setattr(module, "get_decoder", get_decoder)
    classes = _subclasses(Decoder)
    assert {"OpusDecoder", "Vp8Decoder", "H264Decoder"} <= {c.__name__ for c in classes}
    for cls in classes:
        if "decode" in cls.__dict__:
            monkeypatch.setattr(cls, "decode", _counted(cls.__dict__["decode"], cls.__name__,
                                                        counts))
    return counts


def _counted(real: Any, name: str, counts: Decoding) -> Any:
    def decode(self: Decoder, frame: Any) -> Any:
        counts.decoded[name] += 1
        return real(self, frame)

    return decode


async def decode_locally() -> None:
    """A local aiortc pair in this process, each side's receiver decoding a frame of each kind."""
    sender, receiver = RTCPeerConnection(), RTCPeerConnection()
    got: list[asyncio.Task[Any]] = []
    receiver.on("track", lambda track: got.append(asyncio.ensure_future(track.recv())))
    sender.addTrack(ToneAudio())
    sender.addTrack(PatternVideo())
    try:
        await sender.setLocalDescription(await sender.createOffer())
        await receiver.setRemoteDescription(sender.localDescription)
        await receiver.setLocalDescription(await receiver.createAnswer())
        await sender.setRemoteDescription(receiver.localDescription)
        while len(got) < 2:  # noqa: ASYNC110 (aiortc's event is a callback)
            await asyncio.sleep(0.05)
        await asyncio.wait_for(asyncio.gather(*got), 20)
    finally:
        await sender.close()
        await receiver.close()


# ---------------------------------------------------------------- 2. files written


WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@dataclass
class Writes:
    roots: tuple[str, ...]
    seen: list[tuple[str, str]] = field(default_factory=list)
    """(path, mode or flags) of every open for writing under a root."""
    broken: list[str] = field(default_factory=list)


_watching: list[Writes] = []
"""The audit hook records into the last of these while it is not empty (hooks stay forever)."""


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not _watching:
        return
    writes = _watching[-1]
    try:
        path, mode, flags = args
        if isinstance(path, int):  # an fd already open: its open was seen (or not ours)
            return
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
            (flags or 0) & WRITE_FLAGS)
        if writing:
            where = os.path.realpath(os.path.abspath(os.fsdecode(path)))
            if any(where == r or where.startswith(r + os.sep) for r in writes.roots):
                writes.seen.append((where, str(mode if mode is not None else flags)))
    except Exception as exc:  # noqa: BLE001 - an audit hook must never break an open
        writes.broken.append(repr(exc))


_hooked: list[bool] = []


@contextlib.contextmanager
def watching(*roots: Path) -> Any:
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked.append(True)
    writes = Writes(tuple(os.path.realpath(r) for r in roots))
    _watching.append(writes)
    try:
        yield writes
    finally:
        _watching.remove(writes)


# ---------------------------------------------------------------- the room in a child


def db_size(stage: Stage) -> int:
    db = Path(make_url(stage.settings.db_url).database or "")
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def server_side() -> str:
    """The server's peer connections (all of this process's) and guard drops, for a failure."""
    from rtc import guard

    lines = [f"server: {guard.DROPPED}"]
    for pc in (o for o in gc.get_objects() if isinstance(o, RTCPeerConnection)):
        pairs = []
        for t in pc.getTransceivers()[:1]:
            ice = t.sender.transport.transport._connection
            nominated = {k: (p.local_candidate.host, p.local_candidate.port, p.remote_addr)
                         for k, p in ice._nominated.items()}
            pairs = [nominated, [(p.local_candidate.host, p.local_candidate.port,
                                  p.remote_addr, p.state.name) for p in ice._check_list]]
            dtls = t.sender.transport.state
        lines.append(f"  pc {pc.signalingState} {pc.iceConnectionState} {pc.connectionState} "
                     f"dtls={dtls if pairs else None} {pairs}")
    return "\n".join(lines)


@dataclass
class Child:
    process: asyncio.subprocess.Process
    stderr: list[bytes] = field(default_factory=list)

    async def read(self, event: str, timeout: float = 60) -> dict[str, Any]:  # noqa: ASYNC109
        assert self.process.stdout is not None
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
            if not line:
                await self.process.wait()
                raise AssertionError(f"the child ended ({self.process.returncode}) before "
                                     f"{event!r}: {b''.join(self.stderr).decode()[-12000:]}"
                                     f"\n{server_side()}")
            with contextlib.suppress(ValueError):
                message: dict[str, Any] = json.loads(line)
                if message.get("event") == "stuck":
                    raise AssertionError(f"media did not reach everyone: {message}\n"
                                         f"{server_side()}")
                if message.get("event") == event:
                    return message

    async def write(self, data: dict[str, Any] | str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((data if isinstance(data, str) else json.dumps(data)).encode()
                                 + b"\n")
        await self.process.stdin.drain()


@contextlib.asynccontextmanager
async def child() -> AsyncIterator[Child]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.facilitation.room_in_a_child", cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    running = Child(process)

    async def drain() -> None:
        assert process.stderr is not None
        while chunk := await process.stderr.read(65536):
            running.stderr.append(chunk)

    drainer = asyncio.ensure_future(drain())
    try:
        yield running
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the child's wait for a line ends: it closes and exits
        if process.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 20)
        if process.returncode is None:
            process.kill()
            await process.wait()
        await drainer


def pairs(received: dict[str, dict[str, dict[str, int]]], key: str) -> dict[str, int]:
    return {f"{s[:8]}<-{p[:8]}": n[key] for s, row in received.items() for p, n in row.items()}


# ---------------------------------------------------------------- the test


async def test_the_server_neither_decodes_nor_records(
        sqlite_stage: Stage, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    began = time.monotonic()
    stage = sqlite_stage
    caplog.set_level(logging.INFO)
    for name in ("app", "rtc"):
        caplog.set_level(logging.DEBUG, logger=name)
    await stage.build(members=2, co_facilitator=False)
    fac, members = stage.fac, stage.members
    people = [fac, *members]
    decoding = count_decoders(monkeypatch)
    # the server's ICE candidates on loopback only, as the child's: one candidate pair per
    # connection, whatever interfaces the machine has (see room_in_a_child.py)
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: [LOOPBACK])
    data_dir, temp = Path(stage.settings.data_dir), Path(tempfile.gettempdir())

    with watching(data_dir, temp) as writes:
        size_before = db_size(stage)
        for person in people:
            await stage.grant(person)
        async with child() as room:
            await room.write({"url": stage.ws, "seconds": SECONDS, "host": LOOPBACK,
                              "people": [{"token": p.token, "role": p.role} for p in people]})
            receiving = (await room.read("receiving"))["received"]
            size_receiving = db_size(stage)
            flowing = (await room.read("flowing"))["received"]
            quiet = db_size(stage) - size_receiving  # media only: everyone in, nothing done
            # what the server took meanwhile: each stream reached every other participant
            taken = (sum(pairs(flowing, "bytes").values())
                     - sum(pairs(receiving, "bytes").values())) // (len(people) - 1)
            assert quiet <= taken / 4, f"the files grew by {quiet} B as the server took {taken} B"
            decoded_while_flowing = decoding.total()
            await room.read("live")
            live_on_disk = on_disk(stage)
            size_live = db_size(stage)
            await stage.ok(fac.http.patch(f"/api/v1/sessions/{stage.session['id']}",
                                          json={"status": "ended"}))
            await room.write("end")
            closed = (await room.read("closed"))["received"]
        size_after = db_size(stage)
    records = list(caplog.records)  # the server's (the local pair below logs too)
    forwarder = getattr(getattr(stage.app.state.media, "hub", None), "forwarder", None)
    forwarded = getattr(forwarder, "forwarded", None)

    # 1. media flowed both ways through the server, and nothing here decoded it
    ids = {p.id for p in people}
    assert set(flowing) == ids and all(set(row) == ids - {s} for s, row in flowing.items())
    for kind in ("audio", "video", "packets", "bytes"):
        assert all(n > 0 for n in pairs(flowing, kind).values()), (kind, flowing)
    assert decoded_while_flowing == 0 and decoding.total() == 0, decoding
    # ... and the same counters do count a decoder in this process
    await decode_locally()
    assert decoding.created["audio/opus"] > 0 and decoding.created["video/VP8"] > 0, decoding
    assert decoding.decoded["OpusDecoder"] > 0 and decoding.decoded["Vp8Decoder"] > 0, decoding

    # 2. no file opened for writing under the data directory or the temp directory
    assert writes.broken == [] and writes.seen == [], writes
    with watching(data_dir) as probe:  # the hook does see a write made there
        (data_dir / "probe.bin").write_bytes(b"x")
        os.close(os.open(data_dir / "probe2.bin", os.O_CREAT | os.O_WRONLY, 0o600))
    assert [Path(p).name for p, _ in probe.seen] == ["probe.bin", "probe2.bin"], probe

    # 3. the files did not take the media, and the logs hold nothing said
    assert any(m in live_on_disk for m in MARKS)  # the live state was there to be leaked
    assert size_live - size_before <= GROWTH, (size_before, size_live)
    written = "\n".join(JsonFormatter().format(r) for r in records).encode()
    raw = "\n".join(r.getMessage() for r in records).encode()
    leaked = [m for m in MARKS if m in written or m in raw]
    leaked += [p.name for p in people if p.name.encode() in written]
    binary = [r.getMessage()[:80] for r in records if isinstance(r.args, tuple) and any(
        isinstance(a, bytes | bytearray | memoryview) for a in r.args)]
    assert leaked == [] and binary == [], (leaked, binary)

    print(f"\nframes decoded in the child while flowing (audio): {pairs(flowing, 'audio')}"
          f"\n  (video): {pairs(flowing, 'video')}"
          f"\n  RTP packets by the end: {pairs(closed, 'packets')}"
          f"\n  RTP payload bytes by the end: {sum(pairs(closed, 'bytes').values())}; "
          f"packets forwarded by the server: {forwarded}"
          f"\ndecoder calls here during the session: 0; in the local pair afterwards: "
          f"{dict(decoding.created)} {dict(decoding.decoded)}"
          f"\nwrites under {data_dir} or {temp}: {len(writes.seen)}"
          f"\nSQLite files (db + wal): {size_before} B before the joins, +{quiet} B during "
          f"{SECONDS} s of media only (the server took {taken} B of RTP payload meanwhile), "
          f"{size_live} B with the round running, {size_after} B after the end"
          f"\nlog records scanned: {len(records)}"
          f"\ntook {time.monotonic() - began:.1f} s")
