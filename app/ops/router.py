"""`/healthz` (the process answers), `/readyz` (it can serve: database reachable, schema at the
latest migration, every TURN server handed to browsers answering) and `/metrics` (Prometheus
text format, counts only).

These live outside `/api/v1`: they are for the load balancer, the orchestrator and Prometheus,
not for browsers. Caddy does not expose `/metrics` (deploy/Caddyfile).
"""

from __future__ import annotations

import asyncio
from functools import lru_cache

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.routing import Route

from app.core.migrate import current_revision, head_revision
from app.ops import turn_check
from app.ops.metrics import CONTENT_TYPE, REGISTRY, family_names, merged, watch_media

router = APIRouter(tags=["ops"], include_in_schema=False)
READY_TIMEOUT = 3.0


@lru_cache(maxsize=1)
def _head() -> str | None:
    return head_revision()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


async def _check(request: Request) -> tuple[bool, dict[str, object]]:
    engine = request.app.state.engine
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    current, head = await current_revision(engine), _head()
    if current != head:
        return False, {"status": "migrations_pending", "database": "ok",
                       "schema": f"{current or 'empty'} (latest is {head})"}
    return True, {"status": "ok", "database": "ok", "schema": str(current)}


async def _check_turn(request: Request) -> tuple[bool, dict[str, str]]:
    settings = request.app.state.settings
    if not settings.turn_health_check:
        return True, {}
    answers = await turn_check.check(settings.ice_servers)
    return all(a == "ok" for a in answers.values()), answers


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers, its schema is at the latest migration, and every
    TURN URL given to browsers answers (`turn_unreachable` names the one that does not)."""
    body: dict[str, object]
    try:
        ok, body = await asyncio.wait_for(_check(request), READY_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database means not ready
        ok, body = False, {"status": "database_unreachable", "database": type(exc).__name__}
    turn_ok, turn = await _check_turn(request)
    if turn:
        body["turn"] = turn
    if ok and not turn_ok:
        ok, body["status"] = False, "turn_unreachable"
    return JSONResponse(body, status_code=200 if ok else 503,
                        headers={"cache-control": "no-store"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Every registered metric in Prometheus text format; with the embedded default's own
    media workers (``app.state.worker_metrics``), theirs too, labelled by worker."""
    text = REGISTRY.render()
    workers = getattr(request.app.state, "worker_metrics", None)
    if workers is not None:
        text += merged(await workers(), skip=family_names(text))
    return Response(text, media_type=CONTENT_TYPE, headers={"cache-control": "no-store"})


def worker_metrics(server: object, worker: str) -> Route:
    """A media worker's `/metrics` (`rounds media`, on its own port; caddy routes only its
    `/rtc/{worker}`): its rooms and forwarding, and which worker it is."""
    watch_media(server)
    REGISTRY.gauge("rounds_media_worker", "This process is the media worker named by the label",
                   labels=("worker",)).set(1, worker=worker)

    async def endpoint(request: Request) -> Response:
        return await metrics(request)

    return Route("/metrics", endpoint)
