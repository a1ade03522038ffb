"""The app as `rounds serve` builds it, for uvicorn in a subprocess (settings from ROUNDS_*).

While the media server is not mounted at /rtc yet, a WebSocket echo stands in there, so the
test can prove the proxy passes the upgrade; once /rtc exists it is used as it is. With
ROUNDS_TEST_SERVE_RTC_TESTPAGE=1 the media server's test page is served at /testpage.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, WebSocket
from fastapi.staticfiles import StaticFiles

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
    if os.environ.get("ROUNDS_TEST_SERVE_RTC_TESTPAGE") == "1":
        # The media server's own test page (rtc/testpage), for the full-stack browser test.
        testpage = Path(__file__).resolve().parents[2] / "rtc" / "testpage"
        app.mount("/testpage", StaticFiles(directory=testpage, html=True))
        app.router.routes.insert(0, app.router.routes.pop())
    return app
