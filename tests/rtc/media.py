"""Test media: small generated video and a tone or silence, encoded by aiortc like a browser."""

from __future__ import annotations

import asyncio
import fractions
import math
import struct
import time
from collections.abc import Callable
from typing import Any

from aiortc import AudioStreamTrack, VideoStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame


class PatternVideo(VideoStreamTrack):
    """A moving grey-level pattern, small so three peers encode it cheaply on two cores."""

    def __init__(self, width: int = 160, height: int = 120) -> None:
        super().__init__()
        self.width, self.height = width, height
        self._rows = [bytes((x * 2 + shift) & 0xFF for x in range(width)) for shift in range(64)]
        self._chroma = bytes([128]) * (width * height // 4)
        self.count = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=self.width, height=self.height, format="yuv420p")
        row = self._rows[self.count % 64]
        frame.planes[0].update(row * self.height)
        frame.planes[1].update(self._chroma)
        frame.planes[2].update(self._chroma)
        frame.pts, frame.time_base = pts, time_base
        self.count += 1
        return frame


class ToneAudio(AudioStreamTrack):
    """A 440 Hz tone (loud: counts as speaking) or silence, 20 ms frames at 8 kHz."""

    def __init__(self, loud: bool = True) -> None:
        super().__init__()
        amplitude = 12000 if loud else 0
        self._pcm = b"".join(
            struct.pack("<h", int(amplitude * math.sin(2 * math.pi * 440 * i / 8000)))
            for i in range(160)
        )
        self._begun: float | None = None
        self._samples = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._begun is None:
            self._begun = time.time()
        else:
            self._samples += 160
            await asyncio.sleep(max(0.0, self._begun + self._samples / 8000 - time.time()))
        frame = AudioFrame(format="s16", layout="mono", samples=160)
        frame.planes[0].update(self._pcm)
        frame.pts, frame.sample_rate = self._samples, 8000
        frame.time_base = fractions.Fraction(1, 8000)
        return frame


class LosingAudio:
    """Loses one in ``every`` audio packet a client's subscribe connection receives, at its own
    edge (before aiortc's receiver counts them), while ``on``; ``seen`` is called with each one
    first. Install before the client connects."""

    def __init__(self, client: Any, every: int = 8, seen: Callable[[Any], None] | None = None,
                 ) -> None:
        self.on, self.every, self.seen = False, every, seen
        client.on_subscribe_transceiver = self.instrument

    def instrument(self, transceiver: Any) -> None:
        if transceiver.kind != "audio":
            return
        original, count = transceiver.receiver._handle_rtp_packet, [0]

        async def lossy(packet: Any, arrival_time_ms: int) -> None:
            if self.seen is not None:
                self.seen(packet)
            count[0] += 1
            if self.on and count[0] % self.every == 0:
                return
            await original(packet, arrival_time_ms)

        transceiver.receiver._handle_rtp_packet = lossy
