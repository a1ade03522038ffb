"""Settings, read from the environment with the ``ROUNDS_`` prefix (or a ``.env`` file).

Every attribute is documented here; ``docs/configuration.md`` is generated from this class.
In production mode the service refuses to start with the default secret or without an HTTPS
public URL.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "insecure-development-secret-change-me"


class Signpost(BaseModel):
    """One entry of a signposting card: where to get support, and how to reach it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    detail: str = Field(default="", max_length=200)
    contact: str = Field(default="", max_length=120)


DEFAULT_SIGNPOSTING = (
    Signpost(name="Practitioner Health", detail="Free, confidential NHS mental health service "
             "for doctors", contact="0300 0303 300"),
    Signpost(name="BMA wellbeing support", detail="Counselling and peer support, any doctor, "
             "24 hours a day", contact="0330 123 1245"),
    Signpost(name="Your trust's occupational health", detail="Ask your trust for the number",
             contact=""),
    Signpost(name="Samaritans", detail="Any time, day or night", contact="116 123"),
)


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
    marked Secure when it starts with https://. Unset, it follows `ROUNDS_HOST` and
    `ROUNDS_PORT` (`http://127.0.0.1:PORT` for the default host or 0.0.0.0), so the links
    `./scripts/start` prints open on another port too."""

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

    turn_health_check: bool = True
    """`/readyz` sends each `turn:`/`turns:` URL of `ice_servers` a STUN Binding request over
    its own transport and answers 503 `turn_unreachable` when one does not answer (coturn
    without its certificate starts with no TLS listener). Turn it off only where the app cannot
    reach the TURN name from inside (1:1 NAT without hairpin); then check it from outside."""

    rtc_ping_after: float = Field(default=20.0, ge=1.0, le=120.0)
    """Seconds of silence from a participant's browser after which the server pings it."""

    rtc_drop_after: float = Field(default=45.0, ge=3.0, le=300.0)
    """Seconds of silence after which a participant counts as dropped (their turn pauses; the
    controls pass to the co-facilitator). A closed connection counts at once; this is for a
    network that goes silent. 2 and 4 hand the controls over within 5 s of a silent drop, at
    the cost of one small ping every 2 s per idle browser."""

    rtc_connections_per_address: int = Field(default=64, ge=1, le=100_000)
    """WebSockets to `/rtc` one client address may hold open at once; more are closed at once
    (`too_many_connections`, close code 4005). Generous: a trust's network may put many browsers
    behind one address."""

    rtc_unjoined_per_address: int = Field(default=8, ge=1, le=10_000)
    """WebSockets to `/rtc` from one client address that have not joined a room yet (no valid
    join token shown): a browser joins within a second, so more than this at once are refused."""

    media_bus: str | None = None
    """Redis URL of the bus to media workers (`rounds media`; docs/architecture.md, "Many media
    workers"): each session's room is placed on a worker, whose path a join grant names
    (`/rtc/{worker}`), and this process serves no `/rtc`. Unset: the rooms run in this process
    (the embedded default)."""

    media_workers: int | None = Field(default=None, ge=0, le=64)
    """Media workers `rounds serve` starts itself when there is no `ROUNDS_MEDIA_BUS`: the
    rooms run in these processes, on a bus and placement of this process's own (a Unix
    socket, no Redis), and it relays each page's signalling to its room's worker (a worker
    that dies is started again; its pages come back by themselves). Unset: one per core
    for `rounds serve`; 0: the rooms run in the API's own process (as the suite runs it)."""

    media_bus_prefix: str = ""
    """Prefix of the bus's Redis keys (the workers' `--bus-prefix`)."""

    replica_url: str | None = None
    """Set it to run several API replicas (`rounds serve`, with a media bus): the address the
    other replicas reach this one on, e.g. `http://app-2:8000`. One replica leads (a lease in
    the bus's Redis) and the others pass it what only it can answer (docs/architecture.md,
    "Several API replicas"). Unset: this is the only replica, and it needs Redis only for
    the media workers."""

    media_drain_seconds: float = Field(default=3600.0, ge=0)
    """How long a media worker (`rounds media`) that is told to stop (SIGTERM) keeps its live
    rooms, taking no new one, before it hands them over to another worker (the pages join
    again there by themselves, a second or two without media). Give its container at least
    this long to stop (compose's `stop_grace_period`)."""

    rtc_shed_load: bool = False
    """When the media server's UDP sockets back up (it cannot keep up: a socket half full, or
    a datagram dropped), pause thumbnails' video before the speaker's and all video before
    audio (`rtc/overload.py`). `docker-compose.yml` turns it on. Measured with
    `bench/sfu.py --burn` (`bench/results.md`): at the edge of the server's CPU it stayed off
    and nothing was lost; past it, without shedding nearly half the peer connections never
    came up, with it all but one did and the audio went on. Off by default: the embedded
    service and the suite, whose test peers share the machine (shedding would pause the videos
    they count)."""

    rtc_native_wire: bool = True
    """Protect and send each forwarded packet (and unprotect each published one) in one C
    call (`rtc/srtpwire.py`), built by `pip install` where a C compiler is; without one, or
    turned off here, the media server does the same through pylibsrtp and the event loop, at
    more CPU per packet (`bench/results.md`, issue 10)."""

    rtc_join_timeout: float = Field(default=30.0, ge=2.0, le=600.0)
    """Seconds a WebSocket to `/rtc` may stay open without joining a room before it is closed
    (`timeout`, 4004)."""

    trusted_proxies: list[str] = []
    """Addresses or networks (`172.18.0.0/16`) of reverse proxies whose `X-Forwarded-For`
    header names the client, for the per-address limits (sign-in, invite links, `/rtc`).
    Otherwise the address that connects is the client's (`rounds serve` already believes the
    header from 127.0.0.1): behind a proxy elsewhere, caddy in Docker say, list its network
    here, or every client shares the proxy's address. Never list networks that clients can
    connect from directly."""

    signin_window_seconds: int = Field(default=300, ge=1, le=86_400)
    """The window the sign-in limits count failures in. A refused sign-in may try again when
    the oldest failure counted leaves the window (the 429's `Retry-After`): a lockout lasts at
    most this long."""

    signin_failures_per_account: int = Field(default=5, ge=1, le=10_000)
    """Failed password sign-ins to one email (from any address) within the window; then its
    sign-ins are refused with 429, the right password too, until the window lets one go. A
    successful sign-in clears the count."""

    signin_failures_per_address: int = Field(default=20, ge=1, le=100_000)
    """Failed password sign-ins from one client address (to any email) within the window; then
    that address's sign-ins are refused with 429."""

    invite_requests_per_minute: int = Field(default=60, ge=1, le=100_000)
    """Invite links one client address may resolve or accept per minute (links are unguessable;
    this caps the load); more are refused with 429. The open links of peer networks and pairing
    schemes (opening one, knocking, volunteering or asking) get the same allowance, counted
    apart."""

    retention_ended_member_days: int = Field(default=90, ge=1, le=3650)
    """Days a membership is kept after it ended (its display name and email go with it);
    `rounds purge` deletes older ones."""

    retention_ended_session_days: int = Field(default=365, ge=1, le=3650)
    """Days an ended session (date, title, duration) is kept; `rounds purge` deletes older ones."""

    signposting: list[Signpost] = Field(default_factory=lambda: list(DEFAULT_SIGNPOSTING))
    """The signposting card shown at the close of every session and on the "session ended"
    page, unless a group has its own: a JSON list of `{"name", "detail", "contact"}`. The
    default names UK national services; a trust adds its occupational health."""

    retention_attendance_days: int = Field(default=365, ge=1, le=3650)
    """Days an attendance record (group, date, minutes present) and a certificate made from
    records are kept for a doctor's portfolio; `rounds purge` deletes older ones."""

    smtp_host: str | None = None
    """SMTP server that sends email (invites, reminders, changes). Unset: no email is sent, and
    facilitators copy invite links by hand."""

    smtp_port: int = Field(default=587, ge=1, le=65535)
    """SMTP port: 587 for STARTTLS, 465 for TLS, 25 for a relay inside the trust."""

    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    """`starttls`: upgrade the connection (port 587); `tls`: TLS from the start (465); `none`:
    plain SMTP, only to a relay on a trusted network."""

    smtp_username: str | None = None
    """SMTP user name, if the server wants one."""

    smtp_password: SecretStr | None = None
    """SMTP password."""

    smtp_timeout: float = Field(default=30.0, ge=1.0, le=300.0)
    """Seconds to wait for the SMTP server at each step."""

    mail_from: str = "Rounds <rounds@localhost>"
    """The sender of every email (`From:`), e.g. `Rounds <rounds@trust.nhs.uk>`."""

    mail_max_attempts: int = Field(default=10, ge=1, le=50)
    """Tries to send one email before it counts as failed (admins see the count)."""

    mail_retry_seconds: int = Field(default=30, ge=1, le=3600)
    """Wait before the first retry of an email the SMTP server did not take; it doubles at
    each retry, up to an hour."""

    mail_keep_days: int = Field(default=7, ge=1, le=365)
    """Days the outbox keeps the record that an email was sent (no content: its subject, body and
    address are deleted as soon as it is sent), so reminders are not sent twice; failed emails
    (with their content) are deleted after this too."""

    retention_audit_days: int = Field(default=365, ge=30, le=3650)
    """Days a record of the audit log (who signed in, changed an account or group, ended a
    membership or session, and when) is kept; `rounds purge` deletes older ones."""

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Least severe log level written. Personal data is redacted at every level."""

    log_format: Literal["json", "text"] = "json"
    """`json`: one JSON object per line (for a log collector); `text`: for a terminal."""

    oidc_issuer: str | None = None
    """OpenID Connect issuer for facilitator/admin sign-in, e.g.
    `https://login.microsoftonline.com/<tenant-id>/v2.0`. Unset: password sign-in only."""

    oidc_client_id: str | None = None
    """The application (client) id registered with the identity provider."""

    oidc_client_secret: SecretStr | None = None
    """The client secret registered with the identity provider."""

    oidc_allowed_tenants: list[str] = []
    """Tenant ids (the `tid` claim) whose users may sign in; empty: any tenant of the issuer."""

    oidc_email_claim: str = "email"
    """The claim that holds the email an account is matched by (Entra ID: `preferred_username`)."""

    oidc_require_email_verified: bool = True
    """Refuse an email unless `email_verified` is true. Entra ID sends no such claim: turn this
    off there and rely on `oidc_allowed_tenants` (the tenant owns its addresses)."""

    oidc_admin_claim: str = "roles"
    """The claim whose value makes an account an admin. It is read at every single sign-on: an
    account signing in without it stops being an admin (the identity provider decides). Empty:
    admins are assigned in Rounds only, and single sign-on never changes them."""

    oidc_admin_value: str = "Rounds.Admin"
    """The value of `oidc_admin_claim` (or one of its values) that means admin."""

    oidc_lead_value: str = "Rounds.ProgrammeLead"
    """The value of `oidc_admin_claim` (or one of its values) that means programme lead. Read at
    every single sign-on like the admin value: without it, the account stops being a lead."""

    oidc_create_accounts: bool = False
    """Create a facilitator account at first sign-in; otherwise only accounts an admin made (or
    holders of the admin claim) can sign in."""

    @property
    def mail_enabled(self) -> bool:
        """Whether email is sent at all (an SMTP host is set)."""
        return bool(self.smtp_host)

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

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or network: {entry!r}") from None
        return value

    @model_validator(mode="after")
    def _public_url_from_the_port(self) -> Settings:
        if "public_url" not in self.model_fields_set:
            host = "127.0.0.1" if self.host in ("127.0.0.1", "0.0.0.0", "::") else self.host
            host = f"[{host}]" if ":" in host else host
            self.public_url = f"http://{host}:{self.port}"
        return self

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
