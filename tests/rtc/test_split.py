"""Small rooms inside a room (pairs): a subscriber is offered the streams of its own small room
only, whoever is in none shares the whole group, and every subscriber re-negotiates when the
split changes (the end-to-end audio is tests/facilitation/test_pairs_live.py's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtc.config import RTCConfig
from rtc.room import Room


@dataclass
class FakeMember:
    id: str
    name: str = ""
    role: Any = "member"
    audio_muted: bool = False
    video_muted: bool = False
    sources: dict[str, Any] = field(default_factory=dict)
    changed: int = 0

    def send(self, message: Any) -> None:
        pass

    def subscriptions_changed(self) -> None:
        self.changed += 1

    def kick(self, error: Any) -> None:
        pass


def room_of(config: RTCConfig, *ids: str) -> tuple[Room, dict[str, FakeMember]]:
    room = Room("r", config, forwarder=None, emit=lambda e: None,  # type: ignore[arg-type]
                on_empty=lambda r: None)
    members = {p: FakeMember(p, sources={"audio": f"{p}-a", "video": f"{p}-v"}) for p in ids}
    room.members.update(members)  # type: ignore[arg-type]
    return room, members


def offered(room: Room, subscriber: str) -> set[str]:
    return {p for p, _ in room.available(subscriber)}


def test_a_split_room_offers_each_its_own_small_room_only(rtc_config: RTCConfig) -> None:
    room, members = room_of(rtc_config, "f", "a", "b", "c", "d")
    assert offered(room, "a") == {"f", "b", "c", "d"}
    room.split([["a", "b"], ["c", "d"]])
    assert offered(room, "a") == {"b"} and offered(room, "b") == {"a"}
    assert offered(room, "c") == {"d"} and offered(room, "d") == {"c"}
    assert offered(room, "f") == set()  # in no small room: the whole group (alone here)
    assert room.available("a") == {("b", "audio"): "b-a", ("b", "video"): "b-v"}
    assert all(m.changed == 1 for m in members.values())
    room.split([["a", "b"], ["c", "d"]])  # the same split again: nothing to re-negotiate
    assert all(m.changed == 1 for m in members.values())
    room.split([["a", "b", "f"], ["c", "d"]])  # a facilitator visits a pair
    assert offered(room, "f") == {"a", "b"} and offered(room, "c") == {"d"}
    room.split(None)  # everyone back together
    assert offered(room, "a") == {"f", "b", "c", "d"}
    assert all(m.changed == 3 for m in members.values())
