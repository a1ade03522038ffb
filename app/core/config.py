"""Settings, read from the environment with the ``ROUNDS_`` prefix (or a ``.env`` file).

Every attribute is documented here; ``docs/configuration.md`` is generated from this class.
In production mode the service refuses to start with the default secret or without an HTTPS
public URL.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "insecure-development-secret-change-me"


class Settings(BaseSettings):
    """Configuration of one Rounds service."""

    model_config = SettingsConfigDict(
        env_prefix="ROUNDS_",
        env_file=".env",
        extra="ignore",
        use_attribute_docstrings=True,
    )

    env: Literal["development", "production"] = "development"
    """`production` turns on the checks that refuse unsafe settings."""

    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    """Signs cookies and join tokens. At least 32 random characters in production."""

    data_dir: Path = Path("data")
    """Where the embedded SQLite database lives (when no database URL is set)."""

    database_url: str | None = None
    """SQLAlchemy async URL, e.g. `postgresql+asyncpg://rounds@db/rounds`. Default: SQLite in
    the data directory."""

    public_url: str = "http://127.0.0.1:8000"
    """The address people use to reach the service; invite links are built on it. Cookies are
    marked Secure when it starts with https://."""

    host: str = "127.0.0.1"
    """Interface `rounds serve` listens on."""

    port: int = Field(default=8000, ge=1, le=65535)
    """Port `rounds serve` listens on."""

    invite_days: int = Field(default=14, ge=1, le=365)
    """Default lifetime of a new invite, in days."""

    device_cookie_days: int = Field(default=180, ge=1, le=730)
    """How long a doctor's browser stays signed in to their groups."""

    account_cookie_hours: int = Field(default=12, ge=1, le=720)
    """How long a facilitator or admin stays signed in."""

    join_token_seconds: int = Field(default=120, ge=10, le=3600)
    """Lifetime of a join token (it only needs to outlive the WebSocket handshake)."""

    ice_servers: list[str] = []
    """STUN/TURN URLs given to browsers and to the media server (never a public default)."""

    turn_secret: SecretStr | None = None
    """coturn `static-auth-secret`; when set, participants get time-limited TURN credentials."""

    turn_credential_seconds: int = Field(default=3600, ge=60, le=86400)
    """Lifetime of a TURN credential."""

    @cached_property
    def db_url(self) -> str:
        """The database URL in use."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'rounds.db').resolve()}"

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies carry the Secure flag."""
        return self.public_url.startswith("https://")

    @property
    def secret(self) -> bytes:
        """The signing secret as bytes."""
        return self.secret_key.get_secret_value().encode()

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEFAULT_SECRET or len(secret) < 32:
                raise ValueError(
                    "ROUNDS_SECRET_KEY must be set to at least 32 random characters in production"
                )
            if not self.public_url.startswith("https://"):
                raise ValueError("ROUNDS_PUBLIC_URL must be an https:// URL in production")
        return self


def derived_key(settings: Settings, purpose: str) -> bytes:
    """A key for one purpose, derived from the secret (so one leak does not open the others)."""
    import hashlib
    import hmac

    return hmac.new(settings.secret, purpose.encode(), hashlib.sha256).digest()
