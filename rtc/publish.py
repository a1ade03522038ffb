"""One client's publish peer connection: the client is its only offerer.

Owned by the client's connection task (rtc/connection.py), which calls ``check`` and then
``offer`` for each ``publish`` message, and ``reset`` when the connection failed. The client
offers an audio and a video section (either may be missing) and, after the video, a second
video section with the same camera as a small picture (optional; further sections are
received and ignored); the server answers, only receives, and binds the receiver of each
section to a forwarder ``Source`` (the small picture hangs from the camera's: ``Source.small``).
aioice has no ICE restart, so every offer (a client recovering, or changing devices) is
answered on a new peer connection; the connection task unpublishes the old sources and
``reset`` closes the old one first.
"""

from __future__ import annotations

import contextlib
import time

from aiortc import RTCPeerConnection, RTCSessionDescription

from . import messages as m
from .config import RTCConfig
from .errors import ProtocolError, RateLimited
from .forwarder import Forwarder, Source
from .messages import Kind
from .peers import (
    Watch,
    new_publish_pc,
    offer_bundled,
    offer_problem,
    offered_kinds,
    with_opus_fec,
)


class Publishing:
    """The publish connection of one publisher and the sources its media sections feed."""

    def __init__(
        self,
        config: RTCConfig,
        publisher: str,
        forwarder: Forwarder,
        watch: Watch,
    ) -> None:
        self.config = config
        self.publisher = publisher
        self.forwarder = forwarder
        self._watch = watch
        self.pc: RTCPeerConnection | None = None
        self._last_offer = -1e9

    def check(self, sdp: str) -> list[Kind]:
        """The kinds an offer publishes; refuses one too soon or without media (nothing changes)."""
        now = time.monotonic()
        if now - self._last_offer < self.config.publish_interval:
            raise RateLimited("one publish offer per second at most")
        self._last_offer = now
        kinds = offered_kinds(sdp)
        if not kinds:
            raise ProtocolError("the offer has no audio or video section", code="bad_sdp")
        problem = offer_problem(sdp)
        if problem is not None:
            raise ProtocolError(f"cannot use this offer: {problem}", code="bad_sdp")
        return kinds

    async def offer(self, sdp: str, kinds: list[Kind]) -> tuple[m.PublishAnswer, dict[str, Source]]:
        """Answer an offer on a new peer connection; the answer and the sources, by kind."""
        pc = self.pc = new_publish_pc(self.config, kinds, bundled=offer_bundled(sdp))
        self._watch(pc)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            sources: dict[str, Source] = {}
            for t in pc.getTransceivers():
                kind: Kind = "audio" if t.kind == "audio" else "video"
                if t.mid is None:
                    continue
                camera = sources.get("video")
                if kind not in sources:
                    sources[kind] = self.forwarder.add_source(t.receiver, self.publisher, kind)
                elif kind == "video" and camera is not None and camera.small is None:
                    camera.small = self.forwarder.add_source(t.receiver, self.publisher, kind)
                    camera.small.remb_receiver = camera.receiver
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            self.pc = None
            with contextlib.suppress(Exception):  # a half-built connection may fail to close
                await pc.close()
            raise ProtocolError(
                f"cannot use this offer: {type(exc).__name__}", code="bad_sdp"
            ) from None
        return m.PublishAnswer(sdp=with_opus_fec(pc.localDescription.sdp, dtx=True)), sources

    async def reset(self) -> None:
        """Close the publish connection, if any; the client publishes again with a new offer."""
        pc, self.pc = self.pc, None
        if pc is not None:
            with contextlib.suppress(Exception):
                await pc.close()
