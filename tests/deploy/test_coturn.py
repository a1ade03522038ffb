"""Real coturn, started from deploy/turnserver.conf (ports, certificate and the media server's
address moved to loopback), with credentials from app.sessions.ice.ice_servers_for.

- an allocation over UDP, TCP and TLS succeeds with the app's credential;
- a wrong secret or an expired credential is refused;
- the relay reaches the allowed media-server address (given on the command line, as
  docker-compose.yml does) and is refused for any other address, private or public;
- the app's readiness probe (app.ops.turn_check) finds every listener, and names the TLS one
  when coturn started without its certificate (it then has no TLS listener at all).
"""

from __future__ import annotations

import asyncio
import random
import re
import ssl
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aioice import stun
from aioice.turn import create_turn_endpoint
from pydantic import SecretStr

from app.core.config import Settings
from app.ops import turn_check
from app.sessions.ice import ice_servers_for
from tests.deploy.services import (
    binary,
    free_port,
    running,
    self_signed,
    shared_dir,
    tail,
    wait_tcp,
)

ROOT = Path(__file__).resolve().parents[2]
SECRET = "turn-test-secret-" + "x" * 24
SFU = "127.0.0.1"  # stands in for the media server's address (allowed-peer-ip)
TIMEOUT = 10.0


@dataclass
class Turn:
    udp: int
    tls: int
    cert: Path
    log: Path


def turn_argv(exe: str, config: str, peers: Sequence[str] = (SFU,)) -> list[str]:
    """coturn's command line as docker-compose.yml gives it (the secret, realm and the allowed
    peer: there the media server's one address, here the stand-in's)."""
    return [exe, "-c", config, f"--static-auth-secret={SECRET}", "--realm=rounds.test",
            *(f"--allowed-peer-ip={peer}" for peer in peers)]


def turn_config(directory: Path, udp: int, tls: int, userdb: Path, *,
                certificate: bool = True) -> tuple[str, Path]:
    """deploy/turnserver.conf with loopback ports and a test certificate (or, with
    ``certificate=False``, paths to files that do not exist); nothing else changed."""
    text = (ROOT / "deploy" / "turnserver.conf").read_text()
    cert, key = self_signed(directory)
    if not certificate:
        cert, key = directory / "missing.crt", directory / "missing.key"
    low = random.randrange(40000, 60000, 100)
    replacements = {
        r"^listening-port=.*$": f"listening-port={udp}",
        r"^tls-listening-port=.*$": f"tls-listening-port={tls}",
        r"^min-port=.*$": f"min-port={low}",
        r"^max-port=.*$": f"max-port={low + 99}",
        r"^cert=.*$": f"cert={cert}",
        r"^pkey=.*$": f"pkey={key}",
        # coturn opens it after dropping to nobody: somewhere nobody can write.
        r"^userdb=.*$": f"userdb={userdb / 'turndb'}",
    }
    for pattern, line in replacements.items():
        text, count = re.subn(pattern, line, text, flags=re.M)
        assert count == 1, pattern
    text += "\n".join([
        "", "# test only: everything on loopback",
        "listening-ip=127.0.0.1", "relay-ip=127.0.0.1",
        # The stand-in media server is on loopback; denied-peer-ip still covers 127.0.0.0/8.
        "allow-loopback-peers",
        f"pidfile={directory / 'turnserver.pid'}", "",
    ])
    path = directory / "turnserver.conf"
    path.write_text(text)
    return str(path), cert


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Turn]:
    exe = binary("turnserver")
    directory = tmp_path_factory.mktemp("coturn")
    udp, tls = free_port(), free_port()
    with shared_dir() as userdb:
        config, cert = turn_config(directory, udp, tls, userdb)
        log = directory / "turnserver.log"
        with running(turn_argv(exe, config), log) as process:
            wait_tcp(udp, process, log)
            wait_tcp(tls, process, log)
            yield Turn(udp, tls, cert, log)


def urls(turn: Turn) -> list[str]:
    """The three URLs docker-compose.yml hands browsers, on the test's ports."""
    return [f"turn:127.0.0.1:{turn.udp}?transport=udp", f"turn:127.0.0.1:{turn.udp}?transport=tcp",
            f"turns:localhost:{turn.tls}?transport=tcp"]


def settings_for(turn: Turn, secret: str = SECRET) -> Settings:
    return Settings(turn_secret=SecretStr(secret), ice_servers=urls(turn))


def credential(turn: Turn, *, secret: str = SECRET, now: float | None = None) -> tuple[str, str]:
    servers = ice_servers_for(settings_for(turn, secret), now=now)
    (server,) = [s for s in servers if any(u.startswith("turn") for u in s.urls)]
    assert server.username and server.credential
    return server.username, server.credential


class Peer(asyncio.DatagramProtocol):
    """Either end of the relayed path: keeps what arrives and what failed."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()
        self.errors: asyncio.Queue[Exception] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait((data, addr))

    def error_received(self, exc: Exception) -> None:
        self.errors.put_nowait(exc)


async def allocate(turn: Turn, username: str, password: str, *, tls: bool = False,
                   tcp: bool = False) -> tuple[Any, Peer]:
    """A TURN allocation (aioice's TurnTransport, which behaves as a datagram transport)."""
    if tls:
        context = ssl.create_default_context(cafile=str(turn.cert))
        made = create_turn_endpoint(Peer, ("localhost", turn.tls), username, password,
                                    ssl=context, transport="tcp")
    elif tcp:
        made = create_turn_endpoint(Peer, ("127.0.0.1", turn.udp), username, password,
                                    transport="tcp")
    else:
        made = create_turn_endpoint(Peer, ("127.0.0.1", turn.udp), username, password)
    transport, protocol = await asyncio.wait_for(made, TIMEOUT)
    return transport, protocol


async def test_allocation_over_udp_with_the_apps_credential(coturn: Turn) -> None:
    transport, _ = await allocate(coturn, *credential(coturn))
    try:
        relayed = transport.get_extra_info("sockname")
        assert relayed[0] == "127.0.0.1" and relayed[1] > 0
    finally:
        transport.close()


async def test_allocation_over_tcp_3478_with_the_apps_credential(coturn: Turn) -> None:
    # The firewall row "TURN address 3478 TCP" is for this URL, which browsers are given.
    assert f"turn:127.0.0.1:{coturn.udp}?transport=tcp" in settings_for(coturn).ice_servers
    transport, _ = await allocate(coturn, *credential(coturn), tcp=True)
    try:
        assert transport.get_extra_info("sockname")[1] > 0
    finally:
        transport.close()


async def test_allocation_over_tls_with_the_apps_credential(coturn: Turn) -> None:
    transport, _ = await allocate(coturn, *credential(coturn), tls=True)
    try:
        assert transport.get_extra_info("sockname")[1] > 0
    finally:
        transport.close()


async def test_wrong_secret_is_refused(coturn: Turn) -> None:
    username, password = credential(coturn, secret="not-the-secret-" + "y" * 24)
    with pytest.raises(stun.TransactionFailed) as failed:
        await allocate(coturn, username, password)
    assert failed.value.response.attributes["ERROR-CODE"][0] == 401


async def test_tampered_username_is_refused(coturn: Turn) -> None:
    username, password = credential(coturn)
    expiry, who = username.split(":", 1)
    with pytest.raises(stun.TransactionFailed):
        await allocate(coturn, f"{int(expiry) + 86400}:{who}", password)


async def test_expired_credential_is_refused(coturn: Turn) -> None:
    # Issued two hours ago with a one-hour lifetime: expired an hour ago.
    username, password = credential(coturn, now=time.time() - 7200)
    assert int(username.split(":")[0]) < time.time()
    with pytest.raises(stun.TransactionFailed) as failed:
        await allocate(coturn, username, password)
    assert failed.value.response.attributes["ERROR-CODE"][0] == 401


async def test_relay_reaches_the_media_server_only(coturn: Turn) -> None:
    loop = asyncio.get_running_loop()
    sfu_transport, sfu = await loop.create_datagram_endpoint(Peer, local_addr=(SFU, 0))
    transport, client = await allocate(coturn, *credential(coturn))
    try:
        sfu_addr = sfu_transport.get_extra_info("sockname")
        transport.sendto(b"media to the sfu", sfu_addr)
        data, relayed_from = await asyncio.wait_for(sfu.received.get(), TIMEOUT)
        assert data == b"media to the sfu"
        assert relayed_from == tuple(transport.get_extra_info("sockname"))
        sfu_transport.sendto(b"media back", relayed_from)
        data, _ = await asyncio.wait_for(client.received.get(), TIMEOUT)
        assert data == b"media back"

        # Any other address is a denied peer, internal or public: coturn answers 403 to the
        # permission and sends nothing there (198.51.100.0/24 and 203.0.113.0/24 are
        # documentation ranges, 9.9.9.9 a public resolver).
        for denied in (("127.0.0.2", sfu_addr[1]), ("10.1.2.3", 5000), ("192.168.1.1", 5000),
                       ("172.31.250.11", 5000), ("198.51.100.7", 5000),
                       ("203.0.113.9", 3478), ("9.9.9.9", 53)):
            transport.sendto(b"probe", denied)
            error = await asyncio.wait_for(client.errors.get(), TIMEOUT)
            assert isinstance(error, stun.TransactionFailed), error
            assert error.response.attributes["ERROR-CODE"][0] == 403, tail(coturn.log)
    finally:
        transport.close()
        sfu_transport.close()


async def test_readiness_probe_finds_every_listener(coturn: Turn) -> None:
    assert await turn_check.check(urls(coturn)) == {u: "ok" for u in urls(coturn)}


def test_without_its_certificate_coturn_has_no_tls_listener_and_readiness_says_so(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """coturn only warns when turn.crt is missing; the stack's readiness must fail instead."""
    exe = binary("turnserver")
    directory = tmp_path_factory.mktemp("coturn-nocert")
    udp, tls = free_port(), free_port()
    with shared_dir() as userdb:
        config, _ = turn_config(directory, udp, tls, userdb, certificate=False)
        log = directory / "turnserver.log"
        with running(turn_argv(exe, config), log) as process:
            wait_tcp(udp, process, log)
            turn = Turn(udp, tls, directory / "missing.crt", log)
            deadline = time.monotonic() + TIMEOUT
            while "cannot start TLS" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "cannot start TLS and DTLS listeners" in log.read_text(), tail(log)
            answers = asyncio.run(turn_check.check(urls(turn)))
    tls_url = f"turns:localhost:{tls}?transport=tcp"
    assert answers.pop(tls_url) == "refused"
    assert set(answers.values()) == {"ok"}
