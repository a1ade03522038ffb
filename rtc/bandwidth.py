"""What one subscriber's downlink can take, and which videos it gets: audio always, then the
person speaking, then the others, paused before audio suffers.

Theory of operation
-------------------
Each subscribe connection has one ``Link``. The forwarder (rtc/forwarder.py) fills it from the
RTCP the subscriber's browser sends about that connection: REMB, the browser's estimate of what
its link can take (every video packet the server sends carries abs-send-time for it), and the
fraction lost from receiver reports. It also spends the link's repair budget: a retransmission
is sent only while the budget lasts (a share of the estimate; the speaker's repairs first), so
repairs never flood a link that cannot carry the media itself.

Twice a second the connection's task calls ``choose`` with the rate of each video stream it
could forward, layer by layer (measured at the publisher's side; a publisher sending VP8 in
three temporal layers gives three cumulative rates: the base, a quarter of the frames; base and
the next, half; all), in priority order: who has the floor (the speaker in a round, the
presenter), else who spoke most recently. Audio is always forwarded; the browser's estimate is
of what its link takes beside it (only video packets carry the abs-send-time it is computed
from, and audio delays them like any other traffic). ``choose`` gives the first video its best
layers that fit, then the others their base layers in turn, then their upper layers, and pauses
a video none of whose layers fit (when the first video changes, the new one takes the place of
what was sent, if it fits at all): not before the estimate has settled (``WARMUP``: it starts low
and climbs), and not for a dip (what no longer fits goes once it has not fitted for
``PATIENCE``). A layer left out costs nothing, which also means the browser's estimate cannot
grow past what it receives (it grows slowly, and never past half as much again); so, once the
link has been steady for a while, one more layer is tried (a probe). A probe ends at once if
the link loses packets or the estimate falls, with a longer wait before the next; one that
lasts ``PROBE_HOLD`` is kept, and what the link carried then counts as usable (``proven``)
until it loses packets (``FULL``: random loss of a few % does not count) or the estimate
falls. The whole camera over its small picture is not tried by sending it (a failed switch
stalls the picture until a keyframe of the small one comes): its probe is padding instead, copies
of packets already sent, climbing from a third of what the camera would add to all of it
(``PAD_RAMP``, then ``PROBE_HOLD``; ``Link.padding``: the forwarder sends them, and the browser
counts them in its estimate and drops them), and the camera replaces its
small picture once the link has carried that much (the estimate grew with it: ``PAD_GROWTH``),
or the estimate has a wide margin for it.

The browser's estimate is not the link's capacity: it grows while it sees no queue building,
up to half as much again as it receives, also when the queue is full and dropping (a full
drop-tail queue delays no more). So the link's loss, each stream's receiver reports weighted
by the packets they cover and taken once a second (``LOSS_INTERVAL``), also sets a cap, as
GCC's sender does (draft-ietf-rmcat-gcc, "loss-based control"): after two intervals in a row
of ``FULL`` lost, the cap becomes what was sent times (1 - loss / 2); below half of ``FULL``
(GCC says 2 %, but a wireless link loses a few % at random, and a cap that never grows there
would keep a link on what one bad spell left) it grows 5 % a second until the estimate is the
lower again; in between it holds.

The estimate is acted on only once the link has lost packets (a receiver report with at least
``LOSSY`` lost): before that nothing is paused, as before. A link that has never lost a packet
needs no help, and not every receiver's estimate deserves trust (aiortc's own receive-side
estimate, which the benchmarks' synthetic peers send, is several times below what they
receive on a loopback that loses nothing).

Pure: no I/O, no clock of its own; every function takes ``now``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

WARMUP = 5.0
"""Seconds after the first estimate before it decides anything (unless packets are lost)."""
PATIENCE = 1.0
"""Seconds a video that is on may not fit before it is paused (an estimate dips and recovers)."""
LOSSY = 0.02
"""A loss rate that shows the link is short: from then on its estimate is acted on."""
FULL = 0.1
"""A loss rate that shows the link is full: a probe ends, and what it carried no longer counts.
A few % lost at random is a wireless link's way, not a sign of too much sent (GCC's own
loss-based control backs off only above 10 %)."""
KEEP = 1.0
"""A video that is on stays on while what is forwarded fits within this share of the budget."""
ADD = 0.85
"""A paused video comes back when everything fits within this share."""
SWITCH = 0.6
"""A whole camera replaces its small picture when everything fits within this share: the
browser's estimate runs up to half as much again as what the link is seen to carry (1 / 1.5 is
0.67), and a switch that fails stalls the picture until a keyframe of the small one comes."""
PROBE_AFTER = 4.0
"""Seconds of a steady link before the next paused video is tried."""
PROBE_HOLD = 3.0
"""Seconds a tried video gets to show that the link holds it."""
PROBE_REACH = 2.0
"""A probe tries a layer only if what is sent would stay within this many times what is usable:
a step far beyond it (the whole camera on a link that barely carries its small picture) would
only overflow the link and stall the video it replaces."""
SWITCH_REACH = 1.5
"""A probe of a whole camera (padding) is tried only if what is sent with it would stay within
this many times what is usable: the browser's estimate runs up to half as much again as the
link carries, so a probe beyond that is bound to fail, and it floods the link while it lasts
(measured: 5.7 % lost at the 1 Mbit/s link with ``PROBE_REACH`` against 2.6 % without such
probes)."""
BACKOFF_MAX = 30.0
DROP = 0.8
"""An estimate below this share of the last one is a drop (the link is not steady; a probe
fails): a browser's estimate moves by 10 % or so from one report to the next by itself."""
PAD_RAMP = 2.0
"""Seconds over which a padding probe's rate climbs from a third of what the camera would add
to all of it (then ``PROBE_HOLD`` more): a link that cannot carry it shows so on the way (a
round trip growing, packets lost, the estimate falling) before it is flooded. Measured at
1 Mbit/s, where the browser's estimate had run up to 1,195 kbit/s: all at once, a 662 kbit/s
probe lost 13 % and froze the speaker 2.2 s; ramped, one starting at 208 kbit/s ended on 6 %
lost, the longest freeze of that run 0.33 s (bench/results.md, session 13)."""
PAD_DIP = 0.95
"""A padding probe fails if the estimate falls below this share of where it began: padding the
link carries makes the browser's estimate grow, and one it cannot carry makes it hold or fall,
not by a fifth (``DROP``) within the probe (measured at 1 Mbit/s: 743 to 633 kbit/s, then a
switch to the camera that lost 19 % and froze the speaker 2 s)."""
PAD_GROWTH = 1.1
"""...and succeeds only if the estimate has grown by this much by its end (measured when the
link had room: 21-22 % in the 3 s)."""
RTT_RISE = 0.1
"""...and fails at once if the round trip (from the receiver reports on our sender reports) grew
by this many seconds: a queue building at the link, which a drop-tail queue shows well before
it drops and the browser's estimate shows late (measured at 1 Mbit/s: the estimate grew 10 %
through such a probe, then fell, and the camera that followed lost 28 %)."""
PROVEN = 1.1
"""What a successful probe counts as carried: what was sent, and a little more (the rates
vary from one allocation to the next)."""
REPAIR_SHARE = 0.1
"""Share of the estimate that retransmissions may use."""
REPAIR_BURST = 0.25
"""Seconds of the repair rate that may be spent at once..."""
REPAIR_DEPTH = 3000
"""...but never fewer bytes than two full packets: on a link of 360 kbit/s a quarter of a
second of a tenth is 1,125 bytes, less than one full VP8 packet (1,300 bytes of payload), which
then could never be repaired."""
REPAIR_RESERVE = 1500
"""Bytes of the repair budget only the first video's repairs may spend."""
LOSS_INTERVAL = 1.0
"""Seconds of receiver reports the link's loss is taken over."""
STREAM_PACKETS = 50
"""A stream's own report ends a probe (``FULL`` or more lost) only if it covers this many
packets: one lost in ten is a thumbnail's bad luck, not a full link."""
CAP_GROWTH = 1.05
"""How much the loss-based cap grows in a second of little loss (GCC's 5 %)."""
FULL_INTERVALS = 2
"""Intervals in a row of ``FULL`` loss that lower the cap: a full queue, not one burst (the
keyframes of a few videos at once)."""


@dataclass
class Link:
    """One subscriber's downlink as its browser reports it, and the videos it gets."""

    estimate: float | None = None
    """Bits per second the browser says its link takes (REMB), None before the first."""
    estimate_at: float = 0.0
    first_at: float | None = None
    """When the first estimate came."""
    over_since: float | None = None
    """Since when a video that is on has not fitted."""
    loss: float = 0.0
    """Fraction of packets lost (0..1), over the receiver reports of the last interval."""
    lost: float = 0.0
    expected: int = 0
    """Packets lost and covered by the receiver reports since ``loss_at``."""
    loss_at: float | None = None
    cap: float | None = None
    """Video bits per second the link's loss allows (None: no cap); see the module's text."""
    full_intervals: int = 0
    """Intervals in a row that lost ``FULL`` or more."""
    sending: float = 0.0
    """Video bits per second the last choice sends."""
    short: bool = False
    """The link has lost packets: its estimate counts from now on."""
    on: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    """Layers of videos forwarded now: (stream key, temporal layer)."""
    first: str | None = None
    """The video that came first (the floor's, else the speaker's) and got its place: a new
    first video takes the place of what is sent (``KEEP``, not ``ADD``) until it has it."""
    all_on: bool = True
    """No estimate yet: every video is forwarded."""
    steady_since: float = 0.0
    probing: tuple[str, int] | None = None
    probe_until: float = 0.0
    probe_estimate: float = 0.0
    """The estimate when the probe began: a probe fails if it falls (or packets are lost)."""
    lossy_reports: int = 0
    """Receiver reports that showed the link full (``FULL`` or more lost), since start."""
    probe_reports: int = 0
    """``lossy_reports`` when the probe began."""
    rtt: float | None = None
    """The latest round trip to the subscriber, in seconds (None before the first)."""
    probe_rtt: float | None = None
    """``rtt`` when the probe began."""
    backoff: float = PROBE_AFTER
    switch_backoff: float = PROBE_AFTER
    next_switch: float = 0.0
    """A failed probe of a whole camera waits (doubling) before the next of its kind, and not
    the others' layers: they are tried meanwhile."""
    next_probe: float = 0.0
    proven: float = 0.0
    """Video bits per second the link has carried through a probe without losing packets or
    the estimate falling. The browser's estimate grows only slowly with what it receives (and
    no further than half as much again), so after a bad spell it alone would keep a recovered
    link on little video for minutes; what the link has been seen to carry counts too, until
    it loses packets or the estimate drops."""
    padding: float = 0.0
    """Bits per second of padding the forwarder sends on the video of ``pad_for`` while a probe
    of its whole camera runs (copies of packets already sent; see the module's text): it climbs
    to ``pad_target`` over ``PAD_RAMP``."""
    pad_target: float = 0.0
    pad_for: str | None = None
    padded: int = 0
    """Bytes of padding sent since the probe began (the forwarder counts them)."""
    pad_full: tuple[float, int] | None = None
    """When the padding reached ``pad_target``, and ``padded`` then."""
    probe_at: float = 0.0
    repair_tokens: float = 0.0
    repair_at: float = 0.0
    repairs_sent: int = 0
    repairs_refused: int = 0

    def rebuilt(self, now: float) -> Link:
        """The link of a subscribe connection rebuilt over the same network (the old one
        failed): it starts from what this one took, not from everything at once, which on a
        weak link is a flood (measured: 45-76 % lost for 8 s at 1 Mbit/s after a rebuild), and
        climbs from there by the new estimate and probes."""
        usable = self.usable(self.estimate_at)
        if usable is None:
            return Link()
        return Link(estimate=self.estimate, estimate_at=self.estimate_at,
                    first_at=self.first_at, short=True, cap=usable, all_on=False,
                    loss=self.loss, steady_since=now)

    def remb(self, bps: float, now: float) -> None:
        """The browser's latest estimate."""
        if self.estimate is None or bps < self.estimate * DROP:
            self.steady_since = now  # a drop: the link is not steady
            self.proven = 0.0
        if self.first_at is None:
            self.first_at = now
        self.estimate, self.estimate_at = float(bps), now

    def round_trip(self, seconds: float) -> None:
        """A round trip measured from a receiver report (``RTT_RISE``)."""
        if 0.0 <= seconds < 10.0:
            self.rtt = seconds

    def report(self, fraction_lost: int, packets: int = STREAM_PACKETS) -> None:
        """A receiver report's fraction lost (0..255) for one of the subscriber's streams, which
        covers about ``packets`` packets sent (since that stream's last report). It counts
        towards the link's loss (``roll``); on its own it shows the link losing packets
        (``LOSSY``: the estimate counts from now on) and, if it covers enough packets to say,
        full (``FULL``: a probe ends, what it proved is forgotten)."""
        fraction = min(max(fraction_lost / 256.0, 0.0), 1.0)
        self.lost += fraction * packets
        self.expected += packets
        self.short = self.short or fraction >= LOSSY
        if fraction >= FULL and packets >= STREAM_PACKETS:
            self.proven = 0.0
            self.lossy_reports += 1

    def roll(self, now: float) -> None:
        """Once an interval: the link's loss from the reports since the last, and the cap."""
        elapsed = LOSS_INTERVAL if self.loss_at is None else now - self.loss_at
        if self.expected == 0 or elapsed < LOSS_INTERVAL:
            return
        self.loss = min(self.lost / self.expected, 1.0)
        self.lost, self.expected, self.loss_at = 0.0, 0, now
        if self.loss >= FULL:  # the link is not steady: no probe for a while
            self.proven, self.steady_since = 0.0, now
            self.lossy_reports += 1
            self.full_intervals += 1
            if self.sending > 0 and self.full_intervals >= FULL_INTERVALS:
                base = self.sending if self.cap is None else min(self.cap, self.sending)
                self.cap = base * (1.0 - self.loss / 2)
            return
        self.full_intervals = 0
        if self.loss < FULL / 2 and self.cap is not None:
            self.cap *= CAP_GROWTH ** min(elapsed, 2 * LOSS_INTERVAL)
            if self.estimate is not None and self.cap >= self.estimate:
                self.cap = None

    def usable(self, now: float) -> float | None:
        """Bits per second to spend on media now; None without an estimate, or on a link that
        has never lost packets. An estimate stands until the next: with every video paused the
        browser has nothing to estimate from (REMB comes with video only), and a browser that
        goes quiet is no reason to send everything at once; probes still find more room."""
        if self.estimate is None or not self.short:
            return None
        room = self.estimate if self.cap is None else min(self.estimate, self.cap)
        return max(room, self.proven)

    def may_repair(self, nbytes: int, now: float, first: bool = False) -> bool:
        """Spend the repair budget on one retransmission of ``nbytes``, if it lasts. The first
        video's (the speaker's) repairs come first: the others' leave a full packet's worth
        (``REPAIR_RESERVE``) for it, so a thumbnail's losses never stall the speaker."""
        usable = self.usable(now)
        if usable is None:
            self.repairs_sent += 1
            return True
        rate = usable * REPAIR_SHARE / 8.0  # bytes per second
        self.repair_tokens = min(self.repair_tokens + (now - self.repair_at) * rate,
                                 max(rate * REPAIR_BURST, REPAIR_DEPTH))
        self.repair_at = now
        if self.repair_tokens < nbytes + (0 if first else REPAIR_RESERVE):
            self.repairs_refused += 1
            return False
        self.repair_tokens -= nbytes
        self.repairs_sent += 1
        return True


Step = tuple[str, int]
"""One layer of one video: (video key, temporal layer)."""


def choose(link: Link, now: float, videos: Sequence[tuple[str, Sequence[float]]],
           switches: Collection[str] = ()) -> dict[str, int]:
    """Which videos to forward, and in how many layers: ``videos`` are (key, bits per second
    of its layers, each including the ones below: the base, base and the next, ...) by
    priority. The first (the floor's, else whoever speaks most) gets its best layers that fit,
    then the others their base layer in turn, then their next layers. Returns each forwarded
    video's highest layer (a video missing from it is paused) and updates the link's probing
    state. The last layer of a video in ``switches`` is another picture (the whole camera
    after its small picture's layers): it is taken only with a wide margin over the estimate
    (``SWITCH``) or once the link has carried as much (``proven``), either with room for every
    video that is on after it, and a probe of it sends
    padding instead of the camera, since a failed switch stalls the picture it replaced until
    a keyframe of that comes (measured: 2.1-3.3 s without a frame of the speaker on a 1 Mbit/s
    link)."""
    first = videos[:1]
    steps: list[tuple[Step, float]] = [((key, n), rate - (rates[n - 1] if n else 0.0))
                                       for key, rates in first for n, rate in enumerate(rates)]
    depth = max((len(rates) for _, rates in videos), default=0)
    for n in range(depth):
        steps += [((key, n), rates[n] - (rates[n - 1] if n else 0.0))
                  for key, rates in videos[1:] if n < len(rates)]
    head = first[0][0] if first else None
    on = _choose_steps(link, now, steps, moved=head is not None and head != link.first,
                       switches=frozenset((key, len(rates) - 1) for key, rates in videos
                                          if key in switches))
    if (head, 0) in on:
        link.first = head
    layers: dict[str, int] = {}
    for key, rates in videos:
        n = 0
        while n < len(rates) and (key, n) in on:
            n += 1
        if n:
            layers[key] = n - 1
    return layers


def _choose_steps(link: Link, now: float, steps: Sequence[tuple[Step, float]],
                  moved: bool = False, switches: frozenset[Step] = frozenset()
                  ) -> frozenset[Step]:
    """The steps (layers of videos, in order of priority, with their own bits per second)
    that stay on; a layer only with the ones below it. Where the first video ``moved`` (the
    floor went to someone else), its base layer may take the whole budget, as what was on
    may: it takes the place of what was sent (which no longer fits, and goes), rather than
    waiting behind it for the margin a video added to what is sent needs. ``switches``: steps
    that replace a picture (see ``choose``)."""
    link.roll(now)
    usable = link.usable(now)
    rates = dict(steps)
    keys = frozenset(rates)
    settling = link.first_at is None or now - link.first_at < WARMUP
    if usable is None or (settling and link.loss < 2 * LOSSY):
        link.all_on, link.on = True, keys
        _end_probe(link)
        link.sending = sum(rates.values())
        return link.on
    if link.all_on:  # the first decision: start from what is forwarded, all of it
        link.all_on, link.on = False, keys
        link.steady_since = now
    chosen: list[Step] = []
    used = 0.0
    for n, (step, bps) in enumerate(steps):  # keep what is on while it fits, by priority
        kept = step in link.on or (moved and n == 0)
        limit = usable * KEEP if kept else \
            max(usable * SWITCH, link.proven) if step in switches else usable * ADD
        below = step[1] == 0 or (step[0], step[1] - 1) in chosen
        # a new switch must leave room for what is on after it (the others' videos): taken
        # on its own margin it crowds them out, and the link loses packets as it goes
        # (measured: the camera taken at a 980 kbit/s estimate on a 1 Mbit/s link lost 12-17 %)
        after = sum(r for k, r in steps[n + 1:] if k in link.on) \
            if step in switches and not kept else 0.0
        if below and used + bps + after <= limit:
            chosen.append(step)
            used += bps
    dropped = [k for k in link.on & keys if k not in chosen and k != link.probing]
    if dropped:  # not for a dip: only once it has not fitted for a while
        link.over_since = now if link.over_since is None else link.over_since
        if now - link.over_since < PATIENCE:
            chosen += dropped
    else:
        link.over_since = None
    if link.probing is not None:
        padded = link.padding > 0
        estimate = link.estimate or 0.0
        failed = link.lossy_reports > link.probe_reports \
            or estimate < link.probe_estimate * (PAD_DIP if padded else DROP) \
            or (padded and now >= link.probe_until
                and estimate < link.probe_estimate * PAD_GROWTH) \
            or (padded and link.rtt is not None and link.probe_rtt is not None
                and link.rtt > link.probe_rtt + RTT_RISE)
        if link.probing not in keys or failed:  # the link cannot take it: wait longer
            if link.probing in chosen and not padded:
                chosen.remove(link.probing)
            _end_probe(link)
            if padded:
                link.switch_backoff = min(link.switch_backoff * 2, BACKOFF_MAX)
                link.next_switch, link.next_probe = now + link.switch_backoff, now + PROBE_AFTER
            else:
                link.backoff = min(link.backoff * 2, BACKOFF_MAX)
                link.next_probe = now + link.backoff
            link.steady_since = now
        else:
            if link.probing not in chosen and not padded:
                chosen.append(link.probing)  # give it its time
            if padded:
                _ramp(link, now)
            if now >= link.probe_until:  # the link carried it: keep it
                carried = sum(rates[k] for k in chosen)
                if padded:  # what the padding was at its full rate
                    since, sent = link.pad_full or (link.probe_at, 0)
                    carried += (link.padded - sent) * 8 / max(now - since, 1.0)
                link.proven = max(link.proven, PROVEN * carried)
                _end_probe(link)
                if padded:
                    link.switch_backoff = PROBE_AFTER
                else:
                    link.backoff = PROBE_AFTER
    elif len(chosen) < len(steps) and now - link.steady_since >= PROBE_AFTER \
            and now >= link.next_probe:
        def tried(k: Step, bps: float) -> bool:
            if k in chosen or not (k[1] == 0 or (k[0], k[1] - 1) in chosen):
                return False
            if k in switches:
                return now >= link.next_switch and used + bps <= usable * SWITCH_REACH
            # with every video paused the browser has nothing to estimate from (its estimate
            # can sit at a few kbit/s), so the first video's base layer is tried whatever it is
            return used + bps <= usable * PROBE_REACH or not chosen

        nxt = next((k for k, bps in steps if tried(k, bps)), None)
        if nxt is not None:
            link.probing, link.probe_at, link.probe_until = nxt, now, now + PROBE_HOLD
            if nxt in switches:  # padding, climbing to as much as the camera would add
                link.pad_target, link.pad_for, link.padded = rates[nxt], nxt[0], 0
                link.probe_until += PAD_RAMP
                _ramp(link, now)
            else:
                chosen.append(nxt)
            link.probe_estimate, link.probe_reports = link.estimate or 0.0, link.lossy_reports
            link.probe_rtt = link.rtt
    link.on = frozenset(chosen)
    link.sending = sum(rates[k] for k in link.on)
    return link.on


def _ramp(link: Link, now: float) -> None:
    """The padding's rate now: a third of its target at first, all of it after ``PAD_RAMP``."""
    share = min(1.0, (1 + 2 * (now - link.probe_at) / PAD_RAMP) / 3)
    link.padding = link.pad_target * share
    if share == 1.0 and link.pad_full is None:
        link.pad_full = (now, link.padded)


def _end_probe(link: Link) -> None:
    link.probing, link.padding, link.pad_target, link.pad_for = None, 0.0, 0.0, None
    link.pad_full = None
