"""Logs carry no tokens, display names, emails or IP addresses.

The request test turns SQLAlchemy's statement logging on, so that the very values we must not
write (a display name, an email, token hashes) reach the logging system as arguments; it checks
that the raw records do hold them (the test can fail) and the written output does not.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from app.core.config import Settings
from app.ops.logging import Safe, configure_logging
from tests.app.conftest import PASSWORD, login, token_of

NAME = "Dr Zebedee Quillfeather"


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, Keep]]:
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    uvicorn = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate,
                   logging.getLogger(n).disabled) for n in ("uvicorn", "uvicorn.error",
                                                            "uvicorn.access")}
    engine_logger = logging.getLogger("sqlalchemy.engine")
    engine_level = engine_logger.level
    stream, keep = io.StringIO(), Keep()
    handler = configure_logging(Settings(log_level="debug"), stream)
    root.addHandler(keep)
    engine_logger.setLevel(logging.INFO)
    try:
        yield stream, keep
    finally:
        engine_logger.setLevel(engine_level)
        root.removeHandler(keep)
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, (handlers, propagate, disabled) in uvicorn.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled


async def test_requests_leave_no_personal_data_in_the_logs(
        world: Any, captured: tuple[io.StringIO, Keep]) -> None:
    stream, keep = captured
    invite = await world.invite()
    token = token_of(invite["link"])
    browser = world.clients.new()
    accepted = await browser.post("/api/v1/invites/accept",
                                  json={"token": token, "display_name": NAME})
    assert accepted.status_code == 201, accepted.text
    signed_in = await login(world.clients.new(), "fa@trust.nhs.uk", PASSWORD)
    assert signed_in.status_code == 200
    bad = await login(world.clients.new(), "nobody@trust.nhs.uk", "wrong password here")
    assert bad.status_code == 401
    logging.getLogger("rounds.test").info("peer %s connected from %s", NAME, "192.0.2.7",
                                          extra={"email": "fa@trust.nhs.uk", "kind": "video"})

    raw = "\n".join(str(r.msg) + repr(r.args) for r in keep.records)
    assert NAME in raw and "fa@trust.nhs.uk" in raw, "the test must feed personal data in"

    output = stream.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert any(line.get("route") == "/api/v1/invites/accept" and line.get("status") == 201
               for line in lines), "the request log line is written"
    assert any(line["logger"].startswith("sqlalchemy.engine") for line in lines)
    for secret in (NAME, "Zebedee", "Quillfeather", "fa@trust.nhs.uk", "nobody@trust.nhs.uk",
                   token, "192.0.2.7", PASSWORD, "wrong password here"):
        assert secret not in output, secret
    cookie = browser.cookies.get("rounds_device")
    assert cookie and cookie not in output


def test_redaction_keeps_safe_values(captured: tuple[io.StringIO, Keep]) -> None:
    stream, _ = captured
    log = logging.getLogger("rounds.test")
    log.warning("room %s has %d participants (%s)", Safe("phase-change"), 7, True,
                extra={"kind": "audio", "display_name": NAME, "address": "::1"})
    try:
        raise ValueError("user alice@example.org from 2001:db8::5 sent ab" + "Cd3_" * 8)
    except ValueError:
        log.exception("failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "room phase-change has 7 participants (True)"
    assert first["kind"] == "audio" and first["display_name"] == "[redacted]"
    assert first["address"] == "[redacted]" and first["level"] == "warning"
    assert "[email]" in second["exception"] and "[ip]" in second["exception"]
    assert "[token]" in second["exception"] and "alice" not in second["exception"]


def test_every_form_of_client_address_is_scrubbed() -> None:
    from app.ops.logging import scrub

    for address in ("2a02:c7f:1234:5600:1d2e:3f4a:5b6c:7d8e:51234", "[2001:db8::1]:5000",
                    "2001:db8::1", "::1:8000", "10.1.2.3:443"):
        line = scrub(f'{address} - "WebSocket /rtc" [accepted]')
        assert "[ip]" in line, line
        for part in ("2a02", "c7f", "db8", "10.1.2.3"):
            assert part not in line, line
