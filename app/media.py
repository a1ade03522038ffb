"""The media server of the app's rooms: rtc/ configured from the app's settings."""

from __future__ import annotations

from app.core.config import Settings, derived_key
from app.groups.models import MAX_GROUP_SIZE
from app.members.models import MAX_FACILITATORS
from rtc.config import IceServer, RTCConfig
from rtc.server import RTCServer

ROOM_SEATS = MAX_GROUP_SIZE + MAX_FACILITATORS
"""A full group and all its facilitators fit in the room."""


def rtc_config(settings: Settings) -> RTCConfig:
    """The SFU's configuration: the join-token key app/ signs with, and only configured STUN."""
    stun = tuple(u for u in settings.ice_servers if u.startswith("stun"))
    return RTCConfig(
        join_secret=derived_key(settings, "join-token"),
        ice_servers=(IceServer(urls=stun),) if stun else (),
        max_participants=ROOM_SEATS,
        token_lifetime=settings.join_token_seconds,
        ping_after=settings.rtc_ping_after,
        drop_after=max(settings.rtc_drop_after, settings.rtc_ping_after + 1.0),
        join_timeout=settings.rtc_join_timeout,
        max_connections_per_address=settings.rtc_connections_per_address,
        max_unjoined_per_address=settings.rtc_unjoined_per_address,
        trusted_proxies=tuple(settings.trusted_proxies),
        shed_load=settings.rtc_shed_load,
    )


def build_media_server(settings: Settings) -> RTCServer:
    return RTCServer(rtc_config(settings))
