"""A real SMTP server in the test process (aiosmtpd), which can be down, refuse, or break."""

from __future__ import annotations

import email
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.live import free_port


@dataclass
class Received:
    to: list[str]
    message: Message

    def _part(self, kind: str) -> Message | None:
        return next((p for p in self.message.walk() if p.get_content_type() == kind), None)

    @property
    def body(self) -> str:
        part = self._part("text/plain")
        assert part is not None
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode()

    @property
    def calendar(self) -> str | None:
        """The attached calendar event (``session.ics``), if any."""
        part = self._part("text/calendar")
        if part is None:
            return None
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode()


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse_data: str | None = None
    """An answer to DATA instead of 250 (e.g. ``451 4.3.0 try again later``)."""
    refuse_rcpt: str | None = None
    break_after_data: bool = False
    """Take the message, then drop the connection without answering."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return self.refuse_data
        self.received.append(Received(list(envelope.rcpt_tos),
                                      email.message_from_bytes(envelope.content)))
        if self.break_after_data:
            server.transport.abort()
        return "250 OK"


class Smtpd:
    """The server on a fixed free port, so it can be stopped (connections refused) and
    started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Handler()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received
