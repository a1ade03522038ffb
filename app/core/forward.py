"""A follower replica passes to the leader the requests only the leader can answer
(``app.core.leader``; docs/architecture.md, "Several API replicas").

Those are every API request that changes something (any method but GET and HEAD: it may touch
a live session, a drop-in room or the scheduler, which live in the leader's memory) and the
reads of that memory: ``LEADER_READS``. Everything else (pages, static files, the database's
reads) is served where it arrives. A request is passed on once: one that comes from another
replica and finds that this one does not lead either (the lease is changing hands) is
refused with `leader_changing`, as is any while nobody leads; both say to try again (an event
stream is told to come back).

The leader learns the client's address from the follower (``X-Forwarded-For``) only when the
request carries the replicas' shared key (``REPLICA_HEADER``): the throttles count by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

from app.core.leader import REPLICA_HEADER, Leadership, from_replica
from app.core.throttle import forwarded_client

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LEADER_READS = re.compile(
    r"^/api/v1/(sessions/[^/]+/(events|state)|drop-in-rooms/[^/]+/(lobby|events)"
    r"|drop-in/visits/[^/]+/events|peer-networks(/[^/]+)?)$")
"""GET requests that read the leader's memory: the live state, the lobbies and their streams,
who is in the drop-in rooms (tests/app/test_replicas.py finds every one from the routes)."""
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "content-length"}
MAX_BODY = 1 << 20
"""A body passed on is read whole first: no request of the API is near 1 MiB."""
FORWARD_TIMEOUT = httpx.Timeout(30.0, read=None)
"""A stream of events reads without end; everything else answers well within 30 s."""


def needs_leader(method: str, path: str) -> bool:
    if not path.startswith("/api/"):
        return False
    return method not in ("GET", "HEAD") or LEADER_READS.match(path) is not None


class ToLeader:
    """ASGI middleware: pass what only the leader answers to the leader."""

    def __init__(self, app: ASGIApp, leadership: Leadership, key: str,
                 client: httpx.AsyncClient) -> None:
        self.app, self.leadership, self.key, self.client = app, leadership, key, client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or self.leadership.leading
                or not needs_leader(scope["method"], scope["path"])):
            await self.app(scope, receive, send)
            return
        leader = None
        with contextlib.suppress(Exception):
            leader = await self.leadership.leader()
        if leader is None or leader == self.leadership.url or from_replica(
                scope["headers"], self.key):
            await _changing(scope, send)
            return
        await self._pass_on(leader, scope, receive, send)

    async def _pass_on(self, leader: str, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                await _refuse(send, 413, "too_large", "this request is too large")
                return
            if not message.get("more_body"):
                break
        client = scope.get("client")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
                   if k.decode("latin-1") not in HOP_BY_HOP and k != REPLICA_HEADER.encode()
                   and k != b"x-forwarded-for"]
        settings = scope["app"].state.settings
        address = forwarded_client(
            client[0] if client else "unknown",
            [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"],
            settings.trusted_proxies)
        headers += [("x-forwarded-for", address), (REPLICA_HEADER, self.key)]
        query = scope.get("query_string", b"").decode("latin-1")
        url = leader.rstrip("/") + scope["path"] + (f"?{query}" if query else "")
        try:
            request = self.client.build_request(scope["method"], url, headers=headers,
                                                content=body)
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            log.warning("the leader could not be reached (%s)", type(exc).__name__)
            await _changing(scope, send)
            return
        try:
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": [(k.encode("latin-1"), v.encode("latin-1"))
                                    for k, v in response.headers.multi_items()
                                    if k.lower() not in HOP_BY_HOP]})
            gone = asyncio.ensure_future(_disconnected(receive))
            chunks = response.aiter_raw().__aiter__()
            while True:
                chunk = asyncio.ensure_future(chunks.__anext__())
                done, _ = await asyncio.wait({chunk, gone}, return_when=asyncio.FIRST_COMPLETED)
                if gone in done:  # the browser left a stream: stop reading it from the leader
                    chunk.cancel()
                    break
                try:
                    data = chunk.result()
                except (StopAsyncIteration, httpx.HTTPError):
                    break
                await send({"type": "http.response.body", "body": data, "more_body": True})
            gone.cancel()
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _changing(scope: Scope, send: Send) -> None:
    """503 `leader_changing`: nobody leads just now (the error's usual shape). An event stream
    gets an empty one instead, which asks the browser to come back in 2 s: an EventSource gives
    up for good on an error status, and the page would never hear again."""
    if scope["path"].endswith("/events"):
        body = b"retry: 2000\n\n"
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/event-stream"), (b"cache-control", b"no-store"),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return
    await _refuse(send, 503, "leader_changing", "the service is changing over to another "
                  "server: try again in a moment", (b"retry-after", b"2"))


async def _refuse(send: Send, status: int, code: str, detail: str,
                  *headers: tuple[bytes, bytes]) -> None:
    """An error in the API's usual shape."""
    body = json.dumps({"error": code, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *headers]})
    await send({"type": "http.response.body", "body": body})
