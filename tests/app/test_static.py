"""app/core/static.py: scripts and styles are sent without their comments, and still work."""

from __future__ import annotations

import rjsmin
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.core.static import Static
from tests.frontend.conftest import ROOT

STATIC = ROOT / "frontend" / "static"


def client() -> TestClient:
    app = Starlette()
    app.mount("/static", Static(directory=STATIC), name="static")
    return TestClient(app)


def test_scripts_and_styles_are_sent_without_comments() -> None:
    http = client()
    source = (STATIC / "protocol.js").read_text()
    sent = http.get("/static/protocol.js")
    assert sent.status_code == 200 and sent.headers["content-type"].startswith("text/javascript")
    assert sent.text == rjsmin.jsmin(source)
    assert "/**" in source and "/**" not in sent.text  # the comments stay in the repository
    assert "`${scheme}://${location.host}" in http.get("/static/roomlink.js").text
    css = http.get("/static/style.css")
    assert css.status_code == 200 and "/*" not in css.text and ".visually-hidden" in css.text
    again = http.get("/static/protocol.js", headers={"if-none-match": sent.headers["etag"]})
    assert again.status_code == 304
    svg = http.get("/static/favicon.svg")  # everything else as it is
    assert svg.content == (STATIC / "favicon.svg").read_bytes()
    assert http.get("/static/nothing.js").status_code == 404
