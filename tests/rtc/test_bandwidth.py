"""rtc/bandwidth.py: which videos a subscriber's link gets, and its repair budget (issue 12)."""

from __future__ import annotations

from rtc.bandwidth import BACKOFF_MAX, PROBE_AFTER, PROBE_HOLD, STALE, Link, choose

AUDIO = 7 * 40_000.0
VIDEO = 590_000.0
ROOM = [(f"p{i}", VIDEO) for i in range(7)]  # by priority: p0 spoke last


def test_without_an_estimate_everything_is_forwarded() -> None:
    link = Link()
    assert choose(link, 0.0, AUDIO, ROOM) == {k for k, _ in ROOM}
    link.remb(1_000_000, 0.0)
    assert choose(link, STALE + 1, AUDIO, ROOM) == {k for k, _ in ROOM}  # gone stale


def test_a_weak_link_keeps_audio_and_the_speaker_first() -> None:
    link = Link()
    link.remb(1_000_000, 0.0)  # 1 Mbit/s: audio and one video fit
    assert choose(link, 0.5, AUDIO, ROOM) == {"p0"}
    link.remb(600_000, 1.0)  # too little for any video: audio only
    assert choose(link, 1.5, AUDIO, ROOM) == set()
    link.remb(6_000_000, 2.0)  # plenty again: all back at once, no probing needed
    assert choose(link, 2.5, AUDIO, ROOM) == {k for k, _ in ROOM}


def test_a_new_speaker_takes_the_place_of_the_last() -> None:
    link = Link()
    link.remb(1_000_000, 0.0)
    assert choose(link, 0.5, AUDIO, ROOM) == {"p0"}
    now_speaking = [ROOM[3], *[v for v in ROOM if v != ROOM[3]]]
    assert choose(link, 1.0, AUDIO, now_speaking) == {"p3"}


def test_loss_counts_against_the_estimate() -> None:
    link = Link()
    link.remb(1_000_000, 0.0)
    link.report(int(0.3 * 256))  # 30 % lost: 700 kbit/s usable, no video fits
    assert choose(link, 0.5, AUDIO, ROOM) == set()


def test_a_paused_video_is_tried_once_the_link_is_steady_and_kept_if_it_holds() -> None:
    link = Link()
    link.remb(1_000_000, 0.0)
    assert choose(link, 0.5, AUDIO, ROOM) == {"p0"}
    t = PROBE_AFTER + 0.5
    link.remb(1_000_000, t - 0.5)
    tried = choose(link, t, AUDIO, ROOM)
    assert tried == {"p0", "p1"} and link.probing == "p1"
    link.remb(1_700_000, t + 1)  # the browser's estimate grows with what it receives
    assert choose(link, t + PROBE_HOLD + 0.1, AUDIO, ROOM) == {"p0", "p1"}
    assert link.probing is None


def test_a_failed_probe_waits_longer_each_time() -> None:
    link = Link()
    link.remb(1_000_000, 0.0)
    choose(link, 0.5, AUDIO, ROOM)
    t, waits = PROBE_AFTER + 0.5, []
    for _ in range(8):
        link.remb(1_000_000, t - 0.1)
        assert choose(link, t, AUDIO, ROOM) == {"p0", "p1"}  # tried
        link.remb(900_000, t + 1)  # it did not hold: the estimate fell
        after = choose(link, t + PROBE_HOLD + 0.1, AUDIO, ROOM)
        assert "p1" not in after
        waits.append(round(link.next_probe - (t + PROBE_HOLD + 0.1), 6))
        t = link.next_probe + PROBE_AFTER + 1
    assert waits == sorted(waits) and waits[-1] == BACKOFF_MAX


def test_repairs_are_spent_from_a_budget() -> None:
    link = Link()
    assert link.may_repair(1200, 0.0)  # no estimate: as before
    link.remb(1_000_000, 0.0)
    sent = sum(link.may_repair(1200, 0.5 + i * 0.001) for i in range(1000))
    # a tenth of 1 Mbit/s for about a second, plus the burst: about 12 KB, not 1.2 MB
    assert 5 <= sent <= 20 and link.repairs_refused >= 980
