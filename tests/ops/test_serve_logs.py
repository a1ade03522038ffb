"""`rounds serve` writes only redacted JSON lines (uvicorn's own included)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import httpx

from tests.deploy.services import free_port, running, wait_tcp

ROOT = Path(__file__).resolve().parents[2]


def test_rounds_serve_logs_are_json_without_personal_data(tmp_path: Path) -> None:
    port = free_port()
    env = {"ROUNDS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'rounds.db'}",
           "ROUNDS_SECRET_KEY": "k" * 40, "ROUNDS_PORT": str(port), "ROUNDS_HOST": "127.0.0.1",
           "ROUNDS_PUBLIC_URL": "http://rounds.test"}
    log = tmp_path / "serve.log"
    with running([sys.executable, "-m", "app.cli", "serve"], log, env=env, cwd=ROOT) as process:
        wait_tcp(port, process, log, timeout=30)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            assert client.get("/healthz").status_code == 200
            refused = client.post("/api/v1/auth/login",
                                  json={"email": "someone@trust.nhs.uk", "password": "x" * 12})
            assert refused.status_code == 401
        time.sleep(0.5)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(r.get("route") == "/api/v1/auth/login" and r.get("status") == 401
               and r.get("method") == "POST" for r in records)
    assert any(r["logger"] == "uvicorn.error" for r in records)
    text = log.read_text()
    assert "someone@trust.nhs.uk" not in text and "127.0.0.1" not in text
    # Only the CLI's own two plain messages may precede the JSON lines.
    plain = [line for line in lines if not line.startswith("{")]
    assert all(p.startswith(("database is at", "Rounds is serving")) for p in plain), plain
