"""app/core/static.py: scripts and styles are sent without their comments, and still work."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import rjsmin
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.core.static import Static, sent_bytes
from tests.conftest import unavailable
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


def test_every_script_sent_is_the_same_program_as_its_source(tmp_path: Path) -> None:
    """rjsmin removes comments and spare whitespace; it must never change the program (it does
    inside a template literal nested in another's ${...}: such code has to be written without
    the nesting). acorn parses both; their syntax trees must be the same."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "acorn").exists():
        unavailable("node and acorn (npm ci) are needed to compare the programs")
    pairs: list[str] = []
    for source in sorted(STATIC.glob("*.js")):
        sent = tmp_path / source.name
        sent.write_bytes(sent_bytes(source))
        pairs += [str(source), str(sent)]
    result = subprocess.run([node, str(ROOT / "tests" / "frontend" / "same_code.mjs"), *pairs],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, f"changed by minifying: {result.stdout}{result.stderr}"
