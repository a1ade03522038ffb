"""SMTP delivery (aiosmtplib), and what an attempt's failure means for the outbox.

    MailError
    ├── NotSent         the server did not take it (``permanent``: a 5xx, never retried)
    └── OutcomeUnknown  the connection broke after the content was sent, before an answer

A ``Transport`` is the seam the sender uses: ``smtp_transport`` in service, and the tests use the
same one against a real in-process SMTP server.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Protocol

import aiosmtplib

from app.core.config import Settings

ADDRESS = re.compile(r"^[^@\s<>\"',;:()\[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def valid_address(address: str) -> bool:
    """A plain address (``local@domain.tld``), nothing that could add a header or a recipient."""
    return len(address) <= 254 and ADDRESS.fullmatch(address) is not None


class MailError(Exception):
    """An attempt to send failed; ``code`` is safe to log (no address, no content)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class NotSent(MailError):
    def __init__(self, code: str, *, permanent: bool = False) -> None:
        super().__init__(code)
        self.permanent = permanent


class OutcomeUnknown(MailError):
    pass


HandOver = Callable[[], Awaitable[None]]


class Transport(Protocol):
    async def __call__(self, message: EmailMessage, hand_over: HandOver) -> None:
        """Send ``message``; await ``hand_over()`` just before its content goes to the server."""


def build_message(settings: Settings, *, message_id: str, to: str, subject: str, body: str,
                  calendar: str | None) -> EmailMessage:
    """The email as it goes out: plain text, a stable Message-ID, the calendar event attached."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "rounds.invalid"
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message.set_content(body)
    if calendar is not None:
        method = re.search(r"^METHOD:(\w+)", calendar, re.MULTILINE)
        params = {"method": method.group(1)} if method else {}
        message.add_attachment(calendar.encode(), maintype="text", subtype="calendar",
                               filename="session.ics", params=params)
    return message


def _code(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"smtp_{exc.code}"
    return type(exc).__name__.lower()


def smtp_transport(settings: Settings) -> Transport:
    """Deliver through the configured SMTP server, one connection per email."""

    async def send(message: EmailMessage, hand_over: HandOver) -> None:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host, port=settings.smtp_port,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            username=settings.smtp_username or None, password=password,
            timeout=settings.smtp_timeout)
        sender = parseaddr(settings.mail_from)[1]
        try:
            try:
                await client.connect()
                await client.mail(sender)
                await client.rcpt(str(message["To"]))
            except aiosmtplib.SMTPRecipientRefused as exc:
                raise NotSent(_code(exc), permanent=exc.code >= 500) from None
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise NotSent(_code(exc)) from None
            await hand_over()
            try:
                await client.data(message.as_bytes())
            except aiosmtplib.SMTPResponseException as exc:  # the server answered: not taken
                raise NotSent(_code(exc), permanent=exc.code >= 500) from None
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise OutcomeUnknown(_code(exc)) from None
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()

    return send
