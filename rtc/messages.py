"""Every signalling message, client to server and server to client (docs/protocol.md).

Each message is a pydantic model with a ``Literal`` ``type`` and ``extra="forbid"``. Client
messages are parsed by one ``TypeAdapter`` over a discriminated union (``parse_client``); one
that fails to parse is refused with one of three stable codes (``classify``), and ``ALLOWED``
says which ones each stage of the handshake accepts. Server messages are serialised with
``dump`` (and parsed by ``SERVER_ADAPTER`` in tests and clients written in Python). Changing a
message here changes docs/protocol.md in the same commit.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .errors import ProtocolError
from .jointoken import Role

PROTOCOL_VERSION = 1
Kind = Literal["audio", "video"]
"""The kind of a media section, a published stream or a forwarder source."""
AppKind = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
Id = Annotated[str, Field(min_length=1, max_length=128)]
Sdp = Annotated[str, Field(min_length=1, max_length=200_000)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ClientMessage(_Message):
    participant: Id | None = None
    """Optional: if present it must be the sender's own id, or the message is ``spoofed``."""


# --- client to server -------------------------------------------------------------------------


class Hello(_ClientMessage):
    type: Literal["hello"]
    version: int


class Join(_ClientMessage):
    type: Literal["join"]
    token: Annotated[str, Field(min_length=1, max_length=4096)]


class Publish(_ClientMessage):
    type: Literal["publish"]
    sdp: Sdp


class SubscribeAnswer(_ClientMessage):
    type: Literal["subscribe_answer"]
    revision: int
    sdp: Sdp


class Candidate(_ClientMessage):
    type: Literal["candidate"]
    target: Literal["publish", "subscribe"]
    candidate: Annotated[str, Field(max_length=2048)]
    sdpMid: str | None = None
    sdpMLineIndex: int | None = None


class Mute(_ClientMessage):
    type: Literal["mute"]
    audio: bool
    video: bool


class Receive(_ClientMessage):
    """What this client wants to receive: ``video: false`` for audio only (a weak network)."""

    type: Literal["receive"]
    video: bool


class Tiles(_ClientMessage):
    """How big the page shows each participant's video: participant -> the tile's height in
    device pixels (a participant not listed: as big as the link allows). A small tile gets
    the publisher's small picture, where one is sent."""

    type: Literal["tiles"]
    heights: Annotated[
        dict[Annotated[str, Field(max_length=64)], Annotated[int, Field(ge=0, le=100_000)]],
        Field(max_length=64),
    ]


class Leave(_ClientMessage):
    type: Literal["leave"]


class Ping(_ClientMessage):
    type: Literal["ping"]
    id: Annotated[str, Field(max_length=64)] | None = None


class Pong(_ClientMessage):
    type: Literal["pong"]
    id: Annotated[str, Field(max_length=64)] | None = None


class Time(_ClientMessage):
    type: Literal["time"]
    t0: float


class App(_ClientMessage):
    type: Literal["app"]
    kind: AppKind
    data: dict[str, Any] = Field(default_factory=dict)


ClientMessage = Annotated[
    Hello
    | Join
    | Publish
    | SubscribeAnswer
    | Candidate
    | Mute
    | Receive
    | Tiles
    | Leave
    | Ping
    | Pong
    | Time
    | App,
    Field(discriminator="type"),
]
CLIENT_ADAPTER: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)


class Stage(StrEnum):
    """How far a client's connection has come through the handshake."""

    NEW = "new"
    GREETED = "greeted"
    JOINED = "joined"


ALLOWED: dict[Stage, frozenset[str]] = {
    Stage.NEW: frozenset({"hello"}),
    Stage.GREETED: frozenset({"join", "ping", "pong", "time"}),
    Stage.JOINED: frozenset(
        {
            "publish",
            "subscribe_answer",
            "candidate",
            "mute",
            "receive",
            "tiles",
            "leave",
            "ping",
            "pong",
            "time",
            "app",
        }
    ),
}
"""Which client messages each stage accepts; anything else is ``out_of_order``."""


def parse_client(text: str | bytes) -> ClientMessage:
    """Parse one client message (raises ``pydantic.ValidationError``)."""
    return CLIENT_ADAPTER.validate_json(text)


def classify(exc: ValidationError) -> ProtocolError:
    """The error a client message that failed to parse is refused with (a stable code)."""
    errors = exc.errors()
    if not errors:
        return ProtocolError("invalid message")
    first = errors[0]
    kind = first["type"]
    if kind == "json_invalid" or kind == "json_type":
        return ProtocolError("message is not valid JSON", code="bad_json")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return ProtocolError("unknown or missing message type", code="unknown_type")
    where = ".".join(str(p) for p in first.get("loc", ())[1:])
    return ProtocolError(f"invalid field {where or '?'}: {first.get('msg', 'invalid')}")


# --- server to client -------------------------------------------------------------------------


class IceServerInfo(_Message):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class PeerInfo(_Message):
    id: str
    name: str
    role: Role
    audio_muted: bool = False
    video_muted: bool = False
    forced_mute: bool = False
    connected: bool = True


class StreamInfo(_Message):
    participant: str
    kind: Kind


class ServerHello(_Message):
    type: Literal["hello"] = "hello"
    version: int
    server: Literal["rounds-rtc"] = "rounds-rtc"


class Joined(_Message):
    type: Literal["joined"] = "joined"
    room: str
    participant: str
    role: Role
    participants: list[PeerInfo]
    ice_servers: list[IceServerInfo]


class PeerJoined(_Message):
    type: Literal["peer_joined"] = "peer_joined"
    peer: PeerInfo


class PeerLeft(_Message):
    type: Literal["peer_left"] = "peer_left"
    participant: str
    reason: Literal["left", "lost", "removed"]


class PublishAnswer(_Message):
    type: Literal["publish_answer"] = "publish_answer"
    sdp: str


class SubscribeOffer(_Message):
    type: Literal["subscribe_offer"] = "subscribe_offer"
    revision: int
    sdp: str
    streams: dict[str, StreamInfo]
    """mid -> whose stream of which kind; mids not listed are inactive."""
    restart: bool = False
    """True: discard the current subscribe connection and answer on a new one."""


class MuteState(_Message):
    type: Literal["mute_state"] = "mute_state"
    participant: str
    audio_muted: bool
    video_muted: bool
    forced_mute: bool


class VideoPaused(_Message):
    """The videos the server pauses for this subscriber (its link cannot take them now, or the
    server cannot keep up), and those it sends with fewer frames (some of their temporal
    layers)."""

    type: Literal["video_paused"] = "video_paused"
    participants: list[str]
    reduced: list[str] = []
    busy: bool = False
    """True: some of these are paused or reduced because the server is busy (it sheds video
    to keep everyone's audio), not because of this subscriber's link."""


class ServerPing(_Message):
    type: Literal["ping"] = "ping"
    id: str | None = None


class ServerPong(_Message):
    type: Literal["pong"] = "pong"
    id: str | None = None


class TimeReply(_Message):
    type: Literal["time"] = "time"
    t0: float
    server_time: float
    """Server wall clock in Unix milliseconds when the request was handled."""


class Event(_Message):
    type: Literal["event"] = "event"
    kind: str
    data: dict[str, Any]


class Error(_Message):
    type: Literal["error"] = "error"
    code: str
    detail: str
    ref: str | None = None
    """The ``type`` of the offending message, when known."""


ServerMessage = Annotated[
    ServerHello
    | Joined
    | PeerJoined
    | PeerLeft
    | PublishAnswer
    | SubscribeOffer
    | MuteState
    | VideoPaused
    | ServerPing
    | ServerPong
    | TimeReply
    | Event
    | Error,
    Field(discriminator="type"),
]
SERVER_ADAPTER: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)


def dump(message: _Message) -> str:
    """Serialise a message to its JSON text."""
    return message.model_dump_json()
