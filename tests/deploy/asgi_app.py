"""The app as `rounds serve` builds it, for uvicorn in a subprocess (settings from ROUNDS_*).

While the media server is not mounted at /rtc yet, a WebSocket echo stands in there, so the
test can prove the proxy passes the upgrade; once /rtc exists it is used as it is.
"""

from __future__ import annotations

from fastapi import FastAPI, WebSocket

from app.core.config import Settings
from app.main import create_app


def make_app() -> FastAPI:
    app = create_app(Settings())
    if not any(getattr(r, "path", None) == "/rtc" for r in app.router.routes):
        async def echo(websocket: WebSocket) -> None:
            await websocket.accept()
            async for message in websocket.iter_text():
                await websocket.send_text(f"echo:{message}")

        app.add_api_websocket_route("/rtc", echo)
        # Put it before the catch-all page route, as the real mount will be.
        app.router.routes.insert(0, app.router.routes.pop())
    return app
