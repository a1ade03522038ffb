"""One client's subscribe peer connection: the server is its only offerer.

Owned by the client's connection task (rtc/connection.py), which calls ``offer`` when the room
says the available streams changed and ``answer`` when the client answers. One offer is
outstanding at a time; changes that arrive meanwhile are batched into the next one. A media
section whose stream went away turns ``inactive`` and is reused for the next stream of its kind
(aiortc never recycles media sections, so they would otherwise pile up). Each offer carries the
explicit map mid -> (participant, kind) of its active sections. A subscriber that asked for
audio only (``video`` False) gets no video sections: its video sections go inactive.

A video section carries one participant's camera, as the publisher sends it or, where the
publisher also sends a small picture (``Source.small``), that: ``allocate`` chooses, twice a
second, which and in how many temporal layers (a ``Rung``), from the subscriber's link, who has
the floor, and which tiles the page shows small (``small_tiles``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from aiortc import RTCPeerConnection, RTCRtpTransceiver, RTCSessionDescription

from . import messages as m
from .bandwidth import Link, choose
from .config import RTCConfig
from .errors import ProtocolError
from .forwarder import Forwarder, Sink, Source, StreamKey
from .messages import Kind
from .overload import shed
from .peers import Watch, add_send_transceiver, new_subscribe_pc, with_opus_fec

SMALL_TILE = 240
"""A tile at most this many device pixels high is small: the small picture (a quarter of a
360p or 720p camera's pixels) fills it."""
CAMERA_MARGIN = 1.5
"""Where a small picture is the alternative, the whole camera counts at this many times its
rate: its keyframes (five to ten of its frames at once) are bursts a link with little room
left drops, and every lost packet is one more to repair; a small picture at fifteen frames a
second is better than a camera that stalls."""
STOPPED = 1.0
"""Seconds without a packet after which a small picture is not used (the publisher's browser
stopped sending it: a weak uplink, a hidden tab)."""


@dataclass(frozen=True)
class Told:
    """What a subscriber is told of the videos it does not get in full (``video_paused``)."""

    paused: frozenset[str] = frozenset()
    """Participants whose video is paused for it."""
    reduced: frozenset[str] = frozenset()
    """Participants whose video it gets with fewer frames (not every temporal layer)."""
    busy: bool = False
    """Some of that is because the server is busy (rtc/overload.py), not the subscriber's
    link."""
    weak: bool = False
    """Its link alone cannot take every video in full (what the facilitators are told)."""

    def message(self) -> m.VideoPaused:
        """What the page is told."""
        return m.VideoPaused(participants=sorted(self.paused), reduced=sorted(self.reduced),
                             busy=self.busy)


@dataclass(frozen=True)
class Rung:
    """One way to send a video: a source (the camera, or its small picture) up to a temporal
    layer."""

    source: Source
    layer: int


@dataclass(eq=False)
class Slot:
    """One media section of the subscribe connection and what it carries."""

    transceiver: RTCRtpTransceiver
    sink: Sink
    kind: Kind
    key: StreamKey | None = None
    source: Source | None = None


class Subscriptions:
    """The subscribe connection's media sections, offers and answers for one subscriber."""

    def __init__(
        self,
        config: RTCConfig,
        subscriber: str,
        forwarder: Forwarder,
        watch: Watch,
    ) -> None:
        self.config = config
        self.subscriber = subscriber
        self.forwarder = forwarder
        self._watch = watch
        self.pc: RTCPeerConnection | None = None
        self.slots: list[Slot] = []
        self.revision = 0
        self.awaiting: int | None = None
        self.restart = False
        self.video = True
        """False while the subscriber receives audio only (a ``receive`` message)."""
        self.link = Link()
        """The subscriber's downlink: what its browser reports and which videos it gets."""
        self.told = Told()
        """What the page was last told of its videos (``video_paused``)."""
        self._counted: dict[Source, tuple[list[int], float, list[float]]] = {}
        """Each forwarded video's (bytes, when, bits per second) by layer at the last
        allocation."""
        self._voice: dict[Source, tuple[int, float]] = {}
        """Each audio source's (voiced packets, smoothed voice activity) at the last one."""
        self._small_seen: dict[Source, tuple[int, float]] = {}
        """Each small picture's (packets, when they last grew): one that stopped is not used."""
        self.small_tiles: frozenset[str] = frozenset()
        """Participants whose tile the page shows small (a ``tiles`` message): never more than
        their small picture, where they send one."""

    def _wanted(self, available: dict[StreamKey, Source]) -> dict[StreamKey, Source]:
        if self.video:
            return available
        return {key: source for key, source in available.items() if key[1] != "video"}

    async def offer(self, available: dict[StreamKey, Source]) -> m.SubscribeOffer | None:
        """Align the sections with the streams the subscriber receives (of the ``available``
        ones); the offer to send, or None if nothing changed."""
        wanted = self._wanted(available)
        changed = False
        for slot in self.slots:
            if slot.key is not None and wanted.get(slot.key) is not slot.source:
                self.forwarder.connect(slot.sink, None)
                slot.key = slot.source = None
                slot.transceiver.direction = "inactive"
                changed = True
        taken = {slot.key for slot in self.slots if slot.key is not None}
        for key, source in wanted.items():
            if key in taken:
                continue
            changed = True
            free = next((s for s in self.slots if s.key is None and s.kind == key[1]), None)
            slot = free or self._new_slot("audio" if key[1] == "audio" else "video")
            slot.key, slot.source = key, source
            slot.transceiver.direction = "sendonly"
        if not changed or self.pc is None:
            return None
        pc = self.pc
        await pc.setLocalDescription(await pc.createOffer())
        self.revision += 1
        self.awaiting = self.revision
        restart, self.restart = self.restart, False
        return m.SubscribeOffer(
            restart=restart,
            revision=self.revision,
            sdp=with_opus_fec(pc.localDescription.sdp),
            streams={
                slot.transceiver.mid: m.StreamInfo(participant=slot.key[0], kind=slot.kind)
                for slot in self.slots
                if slot.key is not None and slot.transceiver.mid
            },
        )

    def _new_slot(self, kind: Kind) -> Slot:
        if self.pc is None:
            self.pc = new_subscribe_pc(self.config)
            self._watch(self.pc)
        t = add_send_transceiver(self.pc, kind)
        sink = self.forwarder.add_sink(t.sender, kind, self.subscriber, link=self.link)
        slot = Slot(t, sink, kind)
        self.slots.append(slot)
        return slot

    async def answer(self, msg: m.SubscribeAnswer, available: dict[StreamKey, Source]) -> bool:
        """Apply the client's answer and start forwarding; True if another offer is due."""
        wanted = self._wanted(available)
        if self.awaiting is None or msg.revision != self.awaiting or self.pc is None:
            raise ProtocolError(
                f"no subscription offer {msg.revision} is pending", code="out_of_order"
            )
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=msg.sdp, type="answer"))
        except Exception:
            raise ProtocolError("cannot use this answer", code="bad_sdp") from None
        self.awaiting = None
        stale = False
        for slot in self.slots:
            if slot.key is None:
                continue
            if wanted.get(slot.key) is not slot.source:
                stale = True  # it went away meanwhile; the next offer frees the section
                continue
            self.forwarder.configure_sink(slot.sink, slot.transceiver)
            if not _carries(slot):
                self.forwarder.connect(slot.sink, slot.source)
        return stale

    def allocate(self, floor: str | None = None, level: int = 0) -> Told | None:
        """Fit the videos to the link: the one with the ``floor`` (the speaker, the presenter)
        first in its best layers, then whoever is speaking most in their base layer, then more
        layers, pausing what does not fit; then shed for the server's overload ``level``
        (rtc/overload.py). What to tell the page, if that changed."""
        now = self.forwarder.now()
        live = [(s, s.source) for s in self.slots if s.source is not None and _carries(s)]
        ladders = {src: self._ladder(src, now) for s, src in live if s.kind == "video"}
        counted = {x for src in ladders for x in (src, src.small) if x is not None}
        self._counted = {src: v for src, v in self._counted.items() if src in counted}
        self._small_seen = {src: v for src, v in self._small_seen.items() if src in counted}
        voices = {src: self._speaking(src) for s, src in live if s.kind == "audio"}
        self._voice = {src: self._voice[src] for src in voices}
        activity = {src.participant: v for src, v in voices.items()}
        was_on = {key for key, _ in self.link.on}

        def rank(src: Source) -> tuple[bool, float, str]:
            on = src.participant in was_on  # a little stickiness: no flapping
            score = activity.get(src.participant, 0.0) * (1.5 if on else 1.0)
            return (src.participant != floor, -score, src.participant)

        videos = sorted(((s, src) for s, src in live if s.kind == "video"),
                        key=lambda v: rank(v[1]))
        order = [src.participant for _, src in videos]
        switches = {src.participant for _, src in videos
                    if ladders[src][0][-1].source is not ladders[src][0][0].source}
        fits = choose(self.link, now, [(src.participant, ladders[src][1]) for _, src in videos],
                      switches)
        layers = shed(fits, order, level)
        for slot, src in videos:
            n = layers.get(src.participant)
            self.forwarder.pause(slot.sink, n is None)
            slot.sink.padding = self.link.padding \
                if src.participant == self.link.pad_for and not level else 0.0
            if n is not None:
                rung = ladders[src][0][n]
                self.forwarder.switch(slot.sink, rung.source)
                self.forwarder.set_layer(slot.sink, rung.layer)
        tops = {src.participant: len(ladders[src][0]) - 1 for _, src in videos}

        def short(given: dict[str, int]) -> tuple[frozenset[str], frozenset[str]]:
            return (frozenset(p for p in order if p not in given),
                    frozenset(p for p in order if given.get(p, tops[p]) < tops[p]))

        paused, reduced = short(layers)
        weak = any(short(fits))
        told = Told(paused, reduced, busy=layers != fits, weak=weak)
        if told == self.told:
            return None
        self.told = told
        return told

    def _speaking(self, source: Source) -> float:
        """How much the source's participant has been speaking lately (smoothed)."""
        spoken, activity = self._voice.get(source, (source.spoken, 0.0))
        activity = 0.8 * activity + (source.spoken - spoken)
        self._voice[source] = (source.spoken, activity)
        return activity

    def tiles(self, heights: dict[str, int]) -> None:
        """The page's tile heights (a ``tiles`` message): which tiles are small."""
        self.small_tiles = frozenset(p for p, height in heights.items() if height <= SMALL_TILE)

    def _ladder(self, source: Source, now: float) -> tuple[list[Rung], list[float]]:
        """The ways to send a camera, cheapest first, and what each costs (bits per second):
        its temporal layers; or, where it comes with a small picture that is flowing, the
        small picture's layers and then the whole camera (not for a small tile). A speaker is
        smoother at fifteen small frames a second than at a few large ones."""
        full = self._rates(source, now)
        rungs = [Rung(source, n) for n in range(len(full))]
        small = source.small
        if small is None:
            return rungs, full
        packets, grew = self._small_seen.get(small, (0, -STOPPED))
        if small.packets > packets:
            packets, grew = small.packets, now
        self._small_seen[small] = packets, grew
        low = self._rates(small, now)
        if now - grew >= STOPPED:
            return rungs, full
        ladder = [Rung(small, n) for n in range(len(low))]
        if source.participant in self.small_tiles:
            return ladder, low
        return ladder + [rungs[-1]], low + [full[-1] * CAMERA_MARGIN]

    def _rates(self, source: Source, now: float) -> list[float]:
        """The source's bits per second in its base layer, base and the next, ...: smoothed
        over the allocations (one figure for a stream without layers)."""
        octets = list(source.layer_octets[:source.layers])
        seen = self._counted.get(source)
        if seen is None or len(seen[0]) != len(octets):
            self._counted[source] = (octets, now, [0.0] * len(octets))
            return [0.0] * len(octets)
        before, then, rates = seen
        if now - then < 0.2:
            return _cumulative(rates)
        rates = [sample if rate == 0.0 else 0.7 * rate + 0.3 * sample
                 for rate, sample in ((r, (o - b) * 8 / (now - then))
                                      for r, o, b in zip(rates, octets, before, strict=True))]
        self._counted[source] = (octets, now, rates)
        return _cumulative(rates)

    async def reset(self) -> None:
        """Drop a dead subscribe connection; the next offer asks for a new one (restart)."""
        for slot in self.slots:
            self.forwarder.connect(slot.sink, None)
        self.slots = []
        self.link = self.link.rebuilt(self.forwarder.now())  # the same network, most likely
        self._counted, self._voice, self._small_seen = {}, {}, {}
        self.told = Told()
        self.awaiting = None
        self.restart = True
        pc, self.pc = self.pc, None
        if pc is not None:
            with contextlib.suppress(Exception):
                await pc.close()


def _carries(slot: Slot) -> bool:
    """The slot's sink sends its stream's source, or that source's small picture."""
    now = slot.sink.source
    return now is not None and (now is slot.source
                                or (slot.source is not None and now is slot.source.small))


def _cumulative(rates: list[float]) -> list[float]:
    """Each layer's rate with the layers below it."""
    out, total = [], 0.0
    for rate in rates:
        total += rate
        out.append(total)
    return out
