"""The app with email on, sending to a real SMTP server in the test process, and a clock the
test moves (the background sender and reminders are stopped: the test runs each pass)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from app.core.config import Settings
from app.core.db import utcnow
from app.mail.postbox import Postbox
from app.mail.sender import Sender
from app.sessions.reminders import Reminders
from tests.mail.smtpd import Smtpd


@pytest.fixture
def smtpd() -> Iterator[Smtpd]:
    server = Smtpd()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(db_url: str, tmp_path: Path, smtpd: Smtpd) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, secret_key=SecretStr("t" * 40),
                    public_url="http://testserver", smtp_host="127.0.0.1", smtp_port=smtpd.port,
                    smtp_security="none", smtp_timeout=5, mail_from="Rounds <rounds@trust.example>")


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Post:
    sender: Sender
    reminders: Reminders
    clock: Clock


@pytest.fixture
async def post(app: Any, settings: Settings) -> AsyncIterator[Post]:
    await app.state.mail_sender.stop()
    await app.state.reminders.stop()
    clock = Clock(utcnow() + timedelta(seconds=5))  # after what the requests queue
    yield Post(Sender(app.state.db, settings, clock=clock),
               Reminders(app.state.db, Postbox.of(settings), clock=clock), clock)


from tests.app.conftest import world  # noqa: E402,F401  (the REST tests' world of two groups)
