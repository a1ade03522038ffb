"""Configuration of the media side: one frozen dataclass, passed explicitly (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer


@dataclass(frozen=True, slots=True)
class IceServer:
    """One STUN or TURN server handed to aiortc and to clients."""

    urls: tuple[str, ...]
    """``stun:`` / ``turn:`` / ``turns:`` URLs of the server."""
    username: str | None = None
    """TURN user name (never logged)."""
    credential: str | None = None
    """TURN password (never logged)."""


@dataclass(frozen=True, slots=True)
class RTCConfig:
    """Everything rtc/ needs to run; app/ builds it from its settings."""

    join_secret: bytes
    """HMAC secret shared with app/ to verify join tokens (``rtc.jointoken``)."""
    worker: str | None = None
    """This server's id as a media worker (``rounds media``): it admits only join tokens that
    name it (claim ``w``). None: the rooms run in the API's process, and a token naming a
    worker is refused there."""
    ice_servers: tuple[IceServer, ...] = ()
    """ICE servers; empty means host candidates only (fine on loopback and a LAN). Never
    aiortc's default public STUN server."""
    max_message_bytes: int = 1 << 20
    """Largest accepted signalling message (UTF-8 bytes); larger ones get ``too_large``."""
    first_message_timeout: float = 10.0
    """Seconds a new WebSocket has to send its ``hello`` before it is closed."""
    join_timeout: float = 30.0
    """Seconds a connection has, from its start, to ``join`` a room before it is closed
    (``timeout``): one that only says hello and answers pings holds nothing of anyone's."""
    max_connections_per_address: int | None = None
    """Most WebSockets one client address may hold open at once; more are closed at once with
    ``rate_limited``. None: no limit."""
    max_unjoined_per_address: int | None = None
    """Most WebSockets of one client address that have not joined a room yet; more are closed
    at once with ``rate_limited``. None: no limit."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of reverse proxies whose ``X-Forwarded-For`` names the client (for
    the per-address limits); otherwise the peer's address is the client's."""
    ping_after: float = 20.0
    """Seconds of client silence after which the server sends a ``ping``."""
    drop_after: float = 45.0
    """Seconds of client silence after which the connection is considered lost."""
    rate_per_second: float = 50.0
    """Sustained signalling messages per second allowed per connection (token bucket)."""
    rate_burst: int = 100
    """Bucket size of the per-connection rate limit."""
    publish_interval: float = 1.0
    """Least seconds between two ``publish`` offers of one client (each builds a connection)."""
    token_lifetime: float = 300.0
    """The longest a join token app/ issues can live: revocations are kept that long."""
    max_participants: int = 12
    """Most participants one room admits at once."""
    reconnect_grace: float = 120.0
    """Seconds a participant whose connection was lost stays 'lost' before it counts as left."""
    keyframe_throttle: float = 0.3
    """Least seconds between two keyframe requests sent to one publisher."""
    keyframe_retry: float = 1.0
    """Seconds after which a subscriber still waiting for a keyframe asks again."""
    speaking_interval: float = 0.5
    """Window over which audio levels are aggregated into one speaking event."""
    speaking_threshold_dbov: int = 50
    """An audio packet at or louder than -this dBov counts as voice (RFC 6464 level)."""
    outbox_limit: int = 512
    """Queued outgoing messages per connection before it is dropped as too slow."""
    renegotiate_delay: float = 0.05
    """Seconds subscription changes are batched before one new offer is sent."""
    shed_load: bool = False
    """Shed video when the process's UDP sockets back up (rtc/overload.py). Off by default
    until calibrated (``ROUNDS_RTC_SHED_LOAD``); never where the peers share the server's
    process (tests/rtc): their own sockets back up too."""
    native_wire: bool = True
    """Protect and send the forwarder's packets (and unprotect the publishers') in one C call
    each (rtc/srtpwire.py), where rtc/_srtpwire.c was built; False: through pylibsrtp and the
    event loop, as without it (``ROUNDS_RTC_NATIVE_WIRE``)."""
    max_hello_version: int = 1
    """Newest protocol version this server speaks."""
    extra_log_context: dict[str, str] = field(default_factory=dict)
    """Static fields added to log records (e.g. a node name); never personal data."""

    def rtc_configuration(self, *, max_bundle: bool = False) -> RTCConfiguration:
        """Build the aiortc configuration explicitly from the configured ICE servers."""
        servers = [
            RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
            for s in self.ice_servers
        ]
        if max_bundle:
            return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        return RTCConfiguration(iceServers=servers)
