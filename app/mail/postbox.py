"""What a service needs to queue email: whether email is on, and where links point."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from app.core.config import Settings
from app.core.deps import SettingsDep


@dataclass(frozen=True)
class Postbox:
    enabled: bool
    """False when no SMTP host is set: nothing is queued (invite links are copied by hand)."""
    public_url: str

    @classmethod
    def of(cls, settings: Settings) -> Postbox:
        return cls(enabled=settings.mail_enabled, public_url=settings.public_url.rstrip("/"))

    def link(self, path: str) -> str:
        return f"{self.public_url}{path}"


def get_postbox(settings: SettingsDep) -> Postbox:
    return Postbox.of(settings)


PostboxDep = Annotated[Postbox, Depends(get_postbox)]
