"""Small things an attacker's probe found (issue 17): a Host header is never echoed into a
redirect, display names cannot impersonate or vanish, tracebacks keep their function names, and
`rounds serve` says so when it runs on the development secret."""

from __future__ import annotations

import logging

import pytest

from app.core.errors import Invalid
from app.members.service import clean_name
from app.ops.logging import scrub
from tests.conftest import Clients


async def test_a_trailing_slash_is_not_redirected_to_the_host_header(clients: Clients) -> None:
    client = clients.new()
    for path in ("/join/", "/api/v1/groups/"):
        response = await client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 404
        assert "evil.example" not in response.headers.get("location", "")


@pytest.mark.parametrize("name", ["\u202eDr Ann", "\u200b\u200b", "Dr\x7fAnn", "\u2066x",
                                  "\u200d", " "])
def test_display_names_are_visible_text(name: str) -> None:
    with pytest.raises(Invalid):
        clean_name(name)


@pytest.mark.parametrize("name", ["Dr Ann O'Neill", "Zoë", "أحمد", "李雷", "Dr 👩\u200d⚕️ Sam"])
def test_real_names_are_kept(name: str) -> None:
    assert clean_name(name) == name


def test_function_names_in_tracebacks_are_not_mistaken_for_tokens() -> None:
    text = "Task exception was never retrieved coro=<Facilitation._watch_memberships_loop()>"
    assert "_watch_memberships_loop" in scrub(text)
    assert "[token]" in scrub("token=Zx8kP2-qLm4Vb9Tn7Rc1Yw5Hs3Jd6Gf0")


def test_serve_warns_on_the_development_secret(monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    from app import cli
    from app.core.config import Settings

    monkeypatch.setattr(cli, "_migrate", lambda settings: None)
    monkeypatch.setattr("uvicorn.Server.run", lambda *a, **k: None)
    monkeypatch.setattr("app.ops.logging.configure_logging", lambda settings: None)
    with caplog.at_level(logging.WARNING, logger="rounds"):
        cli._serve(Settings())
    assert any("development secret" in r.getMessage() for r in caplog.records)
