"""rtc/bandwidth.py: which videos a subscriber's link gets, and its repair budget (issue 12)."""

from __future__ import annotations

from rtc.bandwidth import (
    BACKOFF_MAX,
    CAP_GROWTH,
    FULL,
    LOSS_INTERVAL,
    PAD_RAMP,
    PATIENCE,
    PROBE_AFTER,
    PROBE_HOLD,
    WARMUP,
    Link,
    choose,
)

VIDEO = 590_000.0
ROOM = [(f"p{i}", [VIDEO]) for i in range(7)]  # by priority: p0 spoke last; no layers
EVERYONE = {k for k, _ in ROOM}
LAYERED = [(f"p{i}", [200_000.0, 330_000.0, VIDEO]) for i in range(7)]  # L1T3: base, +1, all
T = WARMUP + 1  # the estimate has settled


def on(link: Link, now: float, videos: list[tuple[str, list[float]]]) -> set[str]:
    """The videos forwarded (in any layer)."""
    return set(choose(link, now, videos))


def settled(bps: float) -> Link:
    """A link that has lost a packet or two, with a settled estimate."""
    link = Link()
    link.remb(bps, 0.0)
    link.report(int(0.02 * 256) + 1)
    link.roll(0.0)  # the link's loss over its first interval: 2 %
    link.report(0)
    link.roll(1.0)  # and over the next: none
    link.remb(bps, T - 0.1)
    return link


def test_without_an_estimate_everything_is_forwarded() -> None:
    link = Link()
    assert on(link, 0.0, ROOM) == EVERYONE
    link.report(100)  # losing packets, but nothing says how much the link takes
    assert on(link, WARMUP + 1, ROOM) == EVERYONE


def test_an_estimate_that_goes_quiet_stands() -> None:
    """A browser that stops estimating is no reason to flood its link with every video."""
    link = settled(700_000)
    link.next_probe = 1e9  # (probing has its own tests)
    on(link, T, ROOM)
    assert on(link, T + PATIENCE, ROOM) == {"p0"}
    assert on(link, T + 30, ROOM) == {"p0"}  # no estimate for half a minute


def test_a_short_link_with_every_video_paused_keeps_its_last_estimate() -> None:
    """Browsers estimate from video only: with everything paused, REMB stops; that is not a
    reason to send everything again."""
    link = settled(300_000)
    link.next_probe = 1e9  # (probing has its own tests)
    on(link, T, ROOM)
    assert on(link, T + PATIENCE, ROOM) == set()
    assert on(link, T + 30, ROOM) == set()


def test_a_link_that_loses_nothing_is_left_alone() -> None:
    link = Link()
    link.remb(50_000, 0.0)  # a low estimate (aiortc's, say) on a link that loses nothing
    link.report(1)
    link.remb(50_000, T)
    for t in (T, T + PATIENCE, T + 10):
        assert on(link, t, ROOM) == EVERYONE


def test_nothing_is_paused_while_the_estimate_settles_unless_packets_are_lost() -> None:
    link = Link()
    link.remb(300_000, 0.0)  # a browser's first estimates start low and climb
    assert on(link, 1.0, ROOM) == EVERYONE
    link.report(int(0.2 * 256))  # but a link that loses a fifth of its packets is short
    on(link, 1.5, ROOM)
    assert on(link, 1.5 + PATIENCE, ROOM) == set()


def test_a_weak_link_keeps_the_speaker_first() -> None:
    link = settled(700_000)  # one video fits
    assert on(link, T, ROOM) == EVERYONE  # not for a dip...
    assert on(link, T + PATIENCE, ROOM) == {"p0"}  # ...but it lasted
    link.remb(400_000, T + 2)  # too little for any video: audio only
    on(link, T + 2, ROOM)
    assert on(link, T + 2 + PATIENCE, ROOM) == set()
    link.remb(5_000_000, T + 4)  # plenty again: all back at once, no probing needed
    assert on(link, T + 4, ROOM) == EVERYONE


def test_a_new_speaker_takes_the_place_of_the_last() -> None:
    link = settled(700_000)
    on(link, T, ROOM)
    assert on(link, T + PATIENCE, ROOM) == {"p0"}
    now_speaking = [ROOM[3], *[v for v in ROOM if v != ROOM[3]]]
    on(link, T + 2, now_speaking)
    assert on(link, T + 2 + PATIENCE, now_speaking) == {"p3"}


def test_a_new_speaker_whose_video_only_just_fits_still_takes_the_place_of_the_last() -> None:
    """A video added to what is sent needs a margin (``ADD``); the floor's new video replaces
    what was sent, so it needs only to fit: 590 kbit/s on a 650 kbit/s link."""
    link = settled(650_000)
    link.next_probe = 1e9  # (probing has its own tests)
    on(link, T, ROOM)
    assert on(link, T + PATIENCE, ROOM) == {"p0"}
    now_speaking = [ROOM[3], *[v for v in ROOM if v != ROOM[3]]]
    assert "p3" in on(link, T + 2, now_speaking)
    assert on(link, T + 2 + PATIENCE, now_speaking) == {"p3"}
    assert on(link, T + 10, now_speaking) == {"p3"}
    link.remb(500_000, T + 11)  # once it has its place, it goes like any other when it does
    on(link, T + 11, now_speaking)  # not fit...
    assert on(link, T + 11 + PATIENCE, now_speaking) == set()
    link.remb(650_000, T + 13)  # ...and comes back with the margin, not on the edge
    assert on(link, T + 14, now_speaking) == set()


def test_loss_counts_against_the_estimate() -> None:
    """A link that loses 30 % of what it is sent takes less than that, whatever its browser
    estimates: the one video that fitted 700 kbit/s (590) no longer fits 590 x 0.85."""
    link = settled(700_000)
    on(link, T, ROOM)
    assert on(link, T + PATIENCE, ROOM) == {"p0"}
    t = T + PATIENCE
    for _ in range(2):  # two intervals in a row: a full queue, not a burst
        link.report(int(0.3 * 256))
        t += LOSS_INTERVAL
        on(link, t, ROOM)
    assert on(link, t + PATIENCE, ROOM) == set()


def test_a_paused_video_is_tried_once_the_link_is_steady_and_kept_if_it_holds() -> None:
    link = settled(700_000)
    on(link, T, ROOM)
    assert on(link, T + PATIENCE, ROOM) == {"p0"}
    t = T + PATIENCE + PROBE_AFTER + 0.5
    link.remb(700_000, t - 0.5)
    tried = on(link, t, ROOM)
    assert tried == {"p0", "p1"} and link.probing == ("p1", 0)
    link.remb(1_400_000, t + 1)  # the browser's estimate grows with what it receives
    assert on(link, t + PROBE_HOLD + 0.1, ROOM) == {"p0", "p1"}
    assert link.probing is None


def test_a_failed_probe_waits_longer_each_time() -> None:
    link = settled(700_000)
    on(link, T, ROOM)
    on(link, T + PATIENCE, ROOM)
    t, waits = T + PATIENCE + PROBE_AFTER + 0.5, []
    for _ in range(8):
        link.remb(700_000, t - 0.1)
        assert on(link, t, ROOM) == {"p0", "p1"}  # tried
        link.remb(500_000, t + 1)  # it did not hold: the estimate fell
        after = on(link, t + PROBE_HOLD + 0.1, ROOM)
        assert "p1" not in after
        waits.append(round(link.next_probe - (t + PROBE_HOLD + 0.1), 6))
        t = link.next_probe + PROBE_AFTER + 1
    assert waits == sorted(waits) and waits[-1] == BACKOFF_MAX


def test_a_weak_link_steps_down_layers_before_it_pauses() -> None:
    """With layers, the speaker keeps the best that fits, then the others their base layer."""
    link = settled(1_000_000)
    choose(link, T, LAYERED)
    assert choose(link, T + PATIENCE, LAYERED) == {"p0": 2, "p1": 0, "p2": 0}
    link.remb(500_000, T + 2)  # the speaker at half the frame rate, nobody else
    choose(link, T + 2, LAYERED)
    assert choose(link, T + 2 + PATIENCE, LAYERED) == {"p0": 1}
    link.remb(250_000, T + 4)  # the speaker's base layer only
    choose(link, T + 4, LAYERED)
    assert choose(link, T + 4 + PATIENCE, LAYERED) == {"p0": 0}


def test_a_layer_is_tried_before_another_video() -> None:
    link = settled(300_000)
    link.next_probe = 0.0
    choose(link, T, LAYERED)
    assert choose(link, T + PATIENCE, LAYERED) == {"p0": 0}
    t = T + PATIENCE + PROBE_AFTER + 0.5
    link.remb(300_000, t - 0.5)
    assert choose(link, t, LAYERED) == {"p0": 1} and link.probing == ("p0", 1)
    link.remb(400_000, t + 1)  # it holds (the estimate grows with what it receives): kept
    assert choose(link, t + PROBE_HOLD + 0.1, LAYERED) == {"p0": 1}
    assert link.probing is None


def test_a_probe_of_the_whole_camera_pads_and_switches_once_the_link_carries_it() -> None:
    """The speaker's small picture in all its layers (150 kbit/s) fits; the whole camera
    (900 kbit/s as counted) is the next step. A failed switch would stall the small picture it
    replaced, so the probe sends padding instead (as much as the camera adds), and the camera
    comes once the link has carried that much: not on the browser's estimate alone, which runs
    ahead of the link and would need a wide margin (``SWITCH``)."""
    small = [40_000.0, 80_000.0, 150_000.0, 900_000.0]
    videos = [("p0", small), ("p1", small)]
    link = settled(800_000)
    link.next_probe = 0.0
    choose(link, T, videos, switches={"p0", "p1"})
    assert choose(link, T + PATIENCE, videos, switches={"p0", "p1"}) == {"p0": 2, "p1": 2}
    t = T + PATIENCE + PROBE_AFTER + 0.5
    link.remb(800_000, t - 0.5)
    assert choose(link, t, videos, switches={"p0", "p1"}) == {"p0": 2, "p1": 2}  # not switched
    assert link.probing == ("p0", 3) and link.pad_for == "p0" and link.padding == 250_000
    link.remb(900_000, t + 1)  # it grows with the padding, far from a wide margin
    assert choose(link, t + 1, videos, switches={"p0", "p1"}) == {"p0": 2, "p1": 2}
    assert link.padding == 500_000  # climbing...
    link.padded = 100_000
    assert choose(link, t + PAD_RAMP, videos, switches={"p0", "p1"}) == {"p0": 2, "p1": 2}
    assert link.padding == 750_000  # ...to all the camera would add, held from here
    link.padded += int(750_000 / 8 * PROBE_HOLD)  # the forwarder sent it all
    done = t + PAD_RAMP + PROBE_HOLD
    assert choose(link, done, videos, switches={"p0", "p1"}) == {"p0": 2, "p1": 2}
    assert link.probing is None and link.padding == 0.0  # carried: the camera, next time
    assert choose(link, done + 0.5, videos, switches={"p0", "p1"}) == {"p0": 3, "p1": 2}

    estimated = settled(600_000)  # without a probe, the estimate alone needs a wide margin
    estimated.next_probe = 1e9
    choose(estimated, T, videos, switches={"p0", "p1"})
    assert choose(estimated, T + PATIENCE, videos, switches={"p0", "p1"}) == {"p0": 2, "p1": 2}
    estimated.remb(1_300_000, t + 1)  # the estimate runs ahead of what the link carries...
    assert choose(estimated, t + 1, videos, switches={"p0", "p1"}) == {"p0": 2, "p1": 2}
    estimated.remb(1_600_000, t + 2)  # ...so the camera waits for a wide margin, with room
    assert choose(estimated, t + 2, videos, switches={"p0", "p1"}) == {"p0": 2, "p1": 2}
    estimated.remb(1_800_000, t + 3)  # for p1's small picture beside it (0.6 x 1.8 M > 1.05 M)
    assert choose(estimated, t + 3, videos, switches={"p0", "p1"}) == {"p0": 3, "p1": 2}


CAMERA = [40_000.0, 80_000.0, 150_000.0, 900_000.0]
"""A small picture's three layers, then the whole camera (a switch)."""


def padding_probe_begun(rtt: float | None = None) -> tuple[Link, float]:
    """A link steady at 800 kbit/s (``rtt`` its round trip) whose padding probe for p0's
    camera has just begun, and when it began."""
    link = settled(800_000)
    link.next_probe = 0.0
    if rtt is not None:
        link.round_trip(rtt)
    choose(link, T, [("p0", CAMERA)], switches={"p0"})
    t = T + PATIENCE + PROBE_AFTER + 0.5
    link.remb(800_000, t - 0.5)
    choose(link, t, [("p0", CAMERA)], switches={"p0"})
    assert link.padding > 0
    return link, t


def test_a_padding_probe_that_the_estimate_does_not_follow_fails() -> None:
    """A link that cannot carry the padding lets its queue grow: the browser's estimate holds,
    or dips (less than a fifth, within the probe), instead of growing; no camera then."""
    small = CAMERA
    for later in (800_000, 760_000):  # held; dipped by 5 %
        link, t = padding_probe_begun()
        link.padded = int(750_000 / 8 * PROBE_HOLD)
        link.remb(later, t + 1)
        for dt in (1.0, PAD_RAMP + PROBE_HOLD, PAD_RAMP + PROBE_HOLD + 0.5):
            assert choose(link, t + dt, [("p0", small)], switches={"p0"}) == {"p0": 2}
        assert link.proven < 900_000 and link.next_switch > t


def test_a_padding_probe_climbs_and_a_link_that_cannot_carry_it_stops_it_on_the_way() -> None:
    """The padding starts at a third of what the camera would add and climbs: a link that
    loses packets at two thirds of it ends the probe there, never flooded by all of it."""
    small = CAMERA
    link, t = padding_probe_begun()
    seen = [link.padding]
    choose(link, t + PAD_RAMP / 2, [("p0", small)], switches={"p0"})
    seen.append(link.padding)
    link.report(int(0.2 * 256))  # the link drops packets at two thirds
    choose(link, t + PAD_RAMP / 2 + 0.5, [("p0", small)], switches={"p0"})
    assert seen == [250_000, 500_000] and link.padding == 0.0 and link.probing is None


def test_a_padding_probe_fails_once_the_round_trip_grows() -> None:
    """A queue building at the link shows in the round trip before the estimate falls."""
    small = CAMERA
    link, t = padding_probe_begun(rtt=0.15)
    link.round_trip(0.2)  # a little jitter: on
    link.remb(880_000, t + 1)  # the estimate still grows
    choose(link, t + 1, [("p0", small)], switches={"p0"})
    assert link.padding > 0
    link.round_trip(0.4)  # 250 ms queued: off
    choose(link, t + 1.5, [("p0", small)], switches={"p0"})
    assert link.padding == 0.0 and link.probing is None and link.next_switch > t + 1.5


def test_a_padding_probe_the_link_cannot_carry_ends_without_a_switch() -> None:
    """...and the next of its kind waits longer, while the others' layers are tried."""
    small = [40_000.0, 80_000.0, 150_000.0, 900_000.0]
    videos = [("p0", small), ("p1", [40_000.0, 80_000.0])]
    link = settled(700_000)
    link.next_probe = 0.0
    choose(link, T, videos, switches={"p0"})
    t = T + PATIENCE + PROBE_AFTER + 0.5
    link.remb(700_000, t - 0.5)
    assert choose(link, t, videos, switches={"p0"}) == {"p0": 2, "p1": 1}
    assert link.padding > 0
    link.report(int(0.2 * 256))  # the link drops packets under the padding
    assert choose(link, t + 0.5, videos, switches={"p0"}) == {"p0": 2, "p1": 1}
    assert link.probing is None and link.padding == 0.0 and link.proven == 0.0
    assert link.next_switch > link.next_probe > t + 0.5
    link.remb(700_000, t + 10)
    videos = [("p0", small), ("p1", [40_000.0, 80_000.0, 580_000.0])]  # p1 grew a layer
    choose(link, link.next_probe + 0.1, videos, switches={"p0"})
    assert link.probing == ("p1", 2)  # not the camera again, yet


def test_a_camera_far_beyond_the_estimate_is_not_probed() -> None:
    """Padding for a whole camera that would send more than half as much again as the estimate
    only floods the link: the estimate runs that far ahead of the link by itself."""
    small = [40_000.0, 80_000.0, 150_000.0, 900_000.0]
    link = settled(500_000)  # 150 + 750 = 900 kbit/s: 1.8 times the estimate
    link.next_probe = 0.0
    choose(link, T, [("p0", small)], switches={"p0"})
    t = T + PATIENCE + PROBE_AFTER + 0.5
    link.remb(500_000, t - 0.5)
    assert choose(link, t, [("p0", small)], switches={"p0"}) == {"p0": 2}
    assert link.probing is None
    link.remb(600_000, t + 1)  # 1.5 times: tried, from a third of the padding
    choose(link, t + 1, [("p0", small)], switches={"p0"})
    assert link.probing == ("p0", 3) and link.padding == 250_000 and link.pad_target == 750_000


def test_a_probe_the_link_carries_is_kept_though_the_estimate_grows_slowly() -> None:
    """After a bad spell a browser's estimate climbs a few % a second; a probe that loses
    nothing and does not make the estimate fall shows the link carries it."""
    link = settled(300_000)
    choose(link, T, LAYERED)
    assert choose(link, T + PATIENCE, LAYERED) == {"p0": 0}
    t = T + PATIENCE + PROBE_AFTER + 0.5
    link.remb(300_000, t - 0.5)
    assert choose(link, t, LAYERED) == {"p0": 1}
    link.remb(310_000, t + 1)  # barely higher: still below the 330 kbit/s sent
    assert choose(link, t + PROBE_HOLD + 0.1, LAYERED) == {"p0": 1}
    for dt in (1, 2, 3):  # kept: the link has been seen to carry it
        link.remb(315_000, t + PROBE_HOLD + dt)
        assert choose(link, t + PROBE_HOLD + dt, LAYERED)["p0"] >= 1


def test_a_probe_that_loses_packets_ends_at_once() -> None:
    link = settled(300_000)
    choose(link, T, LAYERED)
    choose(link, T + PATIENCE, LAYERED)
    t = T + PATIENCE + PROBE_AFTER + 0.5
    link.remb(300_000, t - 0.5)
    assert choose(link, t, LAYERED) == {"p0": 1}
    link.report(int(0.02 * 256))  # a few % at random (wireless): not a reason to stop
    assert choose(link, t + 0.3, LAYERED) == {"p0": 1} and link.probing == ("p0", 1)
    link.report(int(0.15 * 256))  # the link drops packets: not after PROBE_HOLD, now
    assert choose(link, t + 0.5, LAYERED) == {"p0": 0} and link.probing is None
    assert link.next_probe > t + 0.5


def test_repairs_are_spent_from_a_budget() -> None:
    link = Link()
    assert link.may_repair(1200, 0.0)  # no estimate: as before
    link.remb(1_000_000, 0.0)
    link.report(100)  # the link is losing packets
    sent = sum(link.may_repair(1200, 0.5 + i * 0.001) for i in range(1000))
    # a tenth of 1 Mbit/s for about a second, plus the burst: about 12 KB, not 1.2 MB
    assert 5 <= sent <= 20 and link.repairs_refused >= 980


def test_a_full_packet_can_be_repaired_on_a_weak_link() -> None:
    """360 kbit/s: a tenth for a quarter of a second is 1,125 bytes, less than a full VP8
    packet; the budget still takes one (at the budget's rate: 4.5 KB a second)."""
    link = settled(360_000)
    link.may_repair(1, 0.0)
    sent = sum(link.may_repair(1350, 10.0 + i * 0.01) for i in range(100))  # a second
    assert 3 <= sent <= 6


def test_a_probe_does_not_try_a_step_far_beyond_the_link() -> None:
    """A small picture (100 kbit/s) on a link of 300: the whole camera (a megabit) is never
    tried, where a step within twice what is usable would be."""
    link = settled(300_000)
    videos = [("p0", [100_000.0, 1_000_000.0])]
    on(link, T, videos)
    on(link, T + PATIENCE, videos)
    t = T + PATIENCE + PROBE_AFTER + 0.5
    link.remb(300_000, t - 0.5)
    assert choose(link, t, videos) == {"p0": 0} and link.probing is None
    link.remb(300_000, t + 10)
    assert choose(link, t + 10, [("p0", [100_000.0, 450_000.0])]) == {"p0": 1}  # tried
    assert link.probing == ("p0", 1)


def test_the_link_loss_weighs_each_stream_by_its_packets() -> None:
    """Each stream's receiver report gives its own loss: the speaker's 40 % of 600 packets is
    the link's loss though an audio stream reports 2 % after it; a thumbnail's one lost in ten
    neither makes the link full nor ends a probe."""
    link = settled(2_000_000)
    link.report(int(0.4 * 256), packets=600)
    link.report(int(0.02 * 256), packets=50)
    link.roll(T)
    assert 0.35 < link.loss < 0.4
    reports = link.lossy_reports
    link.report(0, packets=600)
    link.report(int(0.1 * 256) + 1, packets=10)
    link.roll(T + LOSS_INTERVAL)
    assert link.loss < 0.01 and link.lossy_reports == reports


def test_an_estimate_above_what_the_link_carries_is_capped_by_its_loss() -> None:
    """A browser's estimate grows while a full drop-tail queue delays no more: 1.3 Mbit/s on a
    link that carries 1 Mbit/s, which drops a fifth of the 1.18 Mbit/s sent. The loss caps
    what is sent (the speaker first, the last videos go); once nothing is lost the cap grows
    5 % a second, and goes once the estimate is the lower."""
    link = settled(1_300_000)
    link.next_probe = 1e9  # (probing has its own tests)
    on(link, T, ROOM)
    t = T + PATIENCE
    assert on(link, t, ROOM) == {"p0", "p1"}  # 1.18 Mbit/s: the estimate overshoots
    link.report(int(0.2 * 256), packets=100)
    t += LOSS_INTERVAL
    link.roll(t)
    assert link.loss > FULL and link.cap is None  # one burst (keyframes) is not a full link
    link.report(int(0.2 * 256), packets=100)
    t += LOSS_INTERVAL
    link.roll(t)
    assert link.cap is not None
    assert abs(link.cap - 2 * VIDEO * 0.9) < 2_000  # what was sent, less half the loss
    on(link, t, ROOM)
    t += PATIENCE
    assert on(link, t, ROOM) == {"p0"}  # the speaker stays
    grown = []
    for _ in range(12):  # nothing lost now
        t += LOSS_INTERVAL
        link.report(0, packets=60)
        link.remb(1_300_000, t)
        choose(link, t, ROOM)
        grown.append(link.cap)
    cap = 2 * VIDEO * 0.9
    for n, was in enumerate(grown[:3]):  # 5 % a second since the lossy interval
        assert was is not None and abs(was - cap * CAP_GROWTH ** (n + 1 + PATIENCE)) < 2_000
    assert grown[-1] is None  # above the estimate: no cap
    assert link.usable(t) == 1_300_000  # (p1 comes back when a probe shows the link takes it)


def test_some_loss_holds_the_cap_and_a_few_percent_at_random_let_it_grow() -> None:
    """Between 5 and 10 % lost the cap neither grows nor falls; below 5 % (a wireless link
    that loses 2-3 % at random) it grows."""
    link = settled(1_300_000)
    link.next_probe = 1e9
    choose(link, T, ROOM)
    choose(link, T + PATIENCE, ROOM)
    for n in (2, 3):
        link.report(int(0.2 * 256), packets=100)
        choose(link, T + n * LOSS_INTERVAL, ROOM)
    cap = link.cap
    assert cap is not None
    for n in range(4, 8):
        link.report(int(0.07 * 256), packets=100)
        choose(link, T + n * LOSS_INTERVAL, ROOM)
    assert link.cap == cap
    link.report(int(0.03 * 256), packets=100)
    choose(link, T + 8 * LOSS_INTERVAL, ROOM)
    assert link.cap == cap * CAP_GROWTH


def test_a_rebuilt_connection_starts_from_what_the_link_took() -> None:
    """A subscribe connection that failed is rebuilt over the same network: its link starts
    from what the old one took (the speaker's video), not from every video at once; one that
    never needed help starts afresh."""
    link = settled(700_000)
    choose(link, T, ROOM)
    assert on(link, T + PATIENCE, ROOM) == {"p0"}
    again = link.rebuilt(T + 20)
    assert on(again, T + 20, ROOM) == {"p0"}  # at once: no second of everything
    again.remb(300_000, T + 21)  # the new connection's estimate starts low and climbs
    on(again, T + 21, ROOM)
    assert on(again, T + 21 + PATIENCE, ROOM) == set()
    assert Link().rebuilt(0.0).usable(0.0) is None


def test_the_speakers_repairs_come_before_the_others() -> None:
    """On a link losing packets the others' repairs leave a full packet's worth of the budget
    for the first video's: after a thumbnail has taken what it may, the speaker's still goes."""
    link = settled(360_000)
    link.may_repair(1, 0.0)
    now = 10.0
    thumbnails = 0
    while link.may_repair(1300, now):
        thumbnails += 1
    assert thumbnails >= 1
    assert link.may_repair(1300, now, first=True)
    assert not link.may_repair(1300, now, first=True)  # and then the budget is spent


def test_with_every_video_paused_the_first_is_tried_however_low_the_estimate() -> None:
    """An estimate that fell to a few kbit/s with every video paused has nothing to grow from:
    the first video's base layer is tried all the same."""
    link = settled(24_000)
    choose(link, T, LAYERED)
    assert choose(link, T + PATIENCE, LAYERED) == {}
    t = T + PATIENCE + PROBE_AFTER + 0.5
    link.remb(24_000, t - 0.5)
    assert choose(link, t, LAYERED) == {"p0": 0} and link.probing == ("p0", 0)
