"""The ASGI application: settings, database, routers, security headers, static pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.middleware.gzip import GZipMiddleware

from app.accounts.oidc import router as oidc_router
from app.accounts.router import router as accounts_router
from app.attendance.router import router as attendance_router
from app.calendar import service as calendar_service
from app.calendar.router import router as calendar_router
from app.checkout.router import router as checkout_router
from app.core.config import Settings
from app.core.db import create_engine, db_factory
from app.core.errors import NotFound
from app.core.forward import FORWARD_TIMEOUT, ToLeader
from app.core.handlers import install_handlers
from app.core.headers import SecurityHeaders
from app.core.leader import Leadership, replica_key
from app.core.static import Static
from app.dropin.router import router as dropin_router
from app.dropin.service import closed_by_itself
from app.dropin.sittings import Sittings
from app.facilitation.router import router as facilitation_router
from app.facilitation.runtime import Facilitation
from app.groups.offboard import router as offboard_router
from app.groups.roster import router as roster_router
from app.groups.router import router as groups_router
from app.invites.router import router as invites_router
from app.mail.postbox import Postbox
from app.mail.router import router as mail_router
from app.mail.sender import Sender
from app.media import LocalMedia, WorkerMedia
from app.members.router import router as members_router
from app.ops.audit import router as audit_router
from app.ops.metrics import REGISTRY, HttpMetrics, watch_media
from app.ops.purge_status import watch_purge
from app.ops.router import router as ops_router
from app.pairing.router import router as pairing_router
from app.programmes.router import router as programmes_router
from app.series.router import router as series_router
from app.series.scheduler import Scheduler
from app.sessions import notices
from app.sessions.reminders import Reminders
from app.sessions.router import router as sessions_router
from app.templates.router import router as templates_router
from app.workers import EmbeddedMedia

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"
API = "/api/v1"


def _exit_replaced() -> None:
    """This replica lost the leader's lease: another may lead now, and two must never write
    the same sessions, so it stops at once (its supervisor starts it again, as a follower)."""
    logging.getLogger(__name__).critical("stopping: another replica may lead now")
    os._exit(70)


PAGES = {p.stem for p in FRONTEND.glob("*.html")}


async def page(name: str = "index") -> FileResponse:
    """A page of frontend/: `/join` is frontend/join.html."""
    if name not in PAGES:
        raise NotFound("page_not_found", "no such page")
    return FileResponse(FRONTEND / f"{name}.html", media_type="text/html")


def build_media(settings: Settings) -> LocalMedia | WorkerMedia:
    """Workers over Redis (``media_bus``), this process's own workers (``media_workers``), or
    the rooms in this process."""
    if settings.media_bus:
        return WorkerMedia.on_redis(settings)
    if settings.media_workers:
        return EmbeddedMedia(settings, settings.media_workers)
    return LocalMedia(settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    notices.use_calendar(calendar_service.session_event)  # emails attach the feed's event

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.db_url)
        app.state.engine = engine
        app.state.db = db_factory(engine)
        leading = False

        async def lead() -> None:
            """Start what only the leader runs: everything held in memory."""
            nonlocal leading
            await media.start()
            app.state.facilitation = Facilitation(
                app.state.db, media.control, token_lifetime=settings.join_token_seconds
            )
            await app.state.facilitation.start()
            app.state.dropin = Sittings(media.control,
                                       on_closed=closed_by_itself(app.state.db))
            app.state.dropin.start()  # drop-in rooms: held in memory only
            app.state.scheduler = Scheduler(app.state.db, app.state.facilitation)
            app.state.scheduler.start()  # lobbies open at their join window; series made ahead
            watch_media(media)  # rounds_rooms / rounds_participants on /metrics
            # Email: the outbox's sender and the reminders, only when an SMTP host is set.
            app.state.mail_sender = Sender(app.state.db, settings)
            app.state.reminders = Reminders(app.state.db, Postbox.of(settings))
            if settings.mail_enabled:
                app.state.mail_sender.start()
                app.state.reminders.start()
            leading = True

        following: asyncio.Task[None] | None = None
        if leadership is None:
            await lead()
        else:  # with media workers: lead now if nobody does, else follow (app.core.leader)
            taken = False
            with contextlib.suppress(Exception):  # Redis away: follow until it is back
                taken = await leadership.take()
            if taken:
                await lead()
                leadership.leading = True
            following = asyncio.create_task(leadership.run(lead, on_lost=_exit_replaced))
        watch_purge(settings)  # the last `rounds purge`, recorded by that command
        try:
            yield
        finally:
            if following is not None:
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await following
            if leading:
                await app.state.scheduler.stop()
                await app.state.reminders.stop()
                await app.state.mail_sender.stop()
                app.state.dropin.stop()
                # on workers the rooms go on: whoever is in them stays, for the next leader
                # (but this process's own workers stop with it)
                await app.state.facilitation.stop(
                    lose_everyone=isinstance(media, LocalMedia | EmbeddedMedia))
            if leadership is not None:
                await leadership.let_go()
            await forwarding.aclose()
            await media.close()
            await engine.dispose()

    app = FastAPI(
        title="Rounds",
        version="0.1.0",
        summary="Facilitated peer-support video groups for doctors.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI loads from a CDN; the schema is at /api/v1/openapi.json
        redoc_url=None,
        openapi_url=f"{API}/openapi.json",
        # No trailing-slash redirects: Starlette builds their Location from the Host header, so
        # `Host: evil.example` would send the browser there. `/join/` is a plain 404 instead.
        redirect_slashes=False,
    )
    app.state.settings = settings
    media = build_media(settings)
    app.state.media = media
    leadership = (None if isinstance(media, LocalMedia) or media.redis is None
                  or not settings.replica_url else
                  Leadership(media.redis, settings.media_bus_prefix,
                             settings.replica_url.rstrip("/")))
    app.state.leadership = leadership  # None: this replica is the only one, and leads
    if leadership is not None:
        REGISTRY.gauge_function("rounds_api_leading", "1 if this API replica leads (runs the "
                                "live sessions), 0 if it passes them on",
                                lambda: float(leadership.leading))
    forwarding = httpx.AsyncClient(timeout=FORWARD_TIMEOUT)
    if isinstance(media, LocalMedia):  # else the rooms' signalling is on the media workers
        app.add_api_websocket_route("/rtc", media.handle)
    elif isinstance(media, EmbeddedMedia):  # ... this process's own, which only it can reach
        app.add_api_websocket_route("/rtc/{worker}", media.relay)
        app.state.worker_metrics = media.metrics
    install_handlers(app)
    for router in (
        accounts_router,
        groups_router,
        roster_router,
        offboard_router,
        members_router,
        invites_router,
        sessions_router,
        series_router,
        calendar_router,
        templates_router,
        facilitation_router,
        dropin_router,
        pairing_router,
        attendance_router,
        programmes_router,
        checkout_router,
        mail_router,
        oidc_router,
        audit_router,
    ):
        app.include_router(router, prefix=API)
    app.include_router(ops_router)  # /healthz, /readyz, /metrics: outside the API, before pages

    app.mount("/static", Static(directory=FRONTEND / "static"), name="static")
    app.add_api_route("/", page, include_in_schema=False)
    app.add_api_route("/{name}", page, include_in_schema=False)
    app.add_middleware(GZipMiddleware, minimum_size=1024)  # pages and scripts for phones
    app.add_middleware(SecurityHeaders, https=settings.secure_cookies)
    if leadership is not None:  # a follower passes the leader's requests on (app.core.forward)
        app.add_middleware(ToLeader, leadership=leadership, key=replica_key(settings),
                           client=forwarding)
    app.add_middleware(HttpMetrics)
    return app
