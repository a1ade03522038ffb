"""The `rounds` command as a new user runs it: demo, serve, and refusing unsafe production."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.live import free_port

ROUNDS = [sys.executable, "-m", "app.cli"]


def run(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ROUNDS + args,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_demo_then_serve_opens_the_printed_invite(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "ROUNDS_DATA_DIR": str(tmp_path),
        "ROUNDS_PORT": str(port),
    }
    env.pop("ROUNDS_DATABASE_URL", None)
    env.pop("ROUNDS_PUBLIC_URL", None)  # unset, the printed links follow the port
    demo = run(["demo"], env)
    assert demo.returncode == 0, demo.stderr
    link = re.search(r"(http://\S+/join#\S+)", demo.stdout)
    password = re.search(r"password (\S+)", demo.stdout)
    assert link and password, demo.stdout
    assert link.group(1).startswith(f"http://127.0.0.1:{port}/join#"), link.group(1)
    assert (tmp_path / "rounds.db").exists()
    again = run(["demo"], env)  # running it twice keeps one demo group
    assert again.returncode == 0, again.stderr
    server = subprocess.Popen(
        ROUNDS + ["serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"{base}/join", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
                time.sleep(0.2)
        assert page.status_code == 200 and 'src="/static/join.js"' in page.text
        words = httpx.get(f"{base}/static/i18n/en-GB/pages.json", timeout=5).json()
        assert words["join.page"] == "Join your group · Rounds"  # the page's words come too
        token = link.group(1).split("#", 1)[1]
        preview = httpx.post(f"{base}/api/v1/invites/resolve", json={"token": token}).json()
        assert preview["valid"] is True and preview["group_name"] == "Demo reflective group"
        assert preview["next_session"] is not None
        second = re.search(r"(http://\S+/join#\S+)", again.stdout)
        assert second
        assert httpx.post(
            f"{base}/api/v1/invites/resolve", json={"token": second.group(1).split("#", 1)[1]}
        ).json()["valid"]
        signin = httpx.post(
            f"{base}/api/v1/auth/login",
            json={
                "email": "facilitator@example.org",
                "password": re.findall(r"password (\S+)", again.stdout)[0],
            },
        )
        assert signin.status_code == 200
        groups = httpx.get(f"{base}/api/v1/groups", cookies=signin.cookies).json()
        assert [g["name"] for g in groups] == ["Demo reflective group"]
    finally:
        server.terminate()
        server.wait(10)
    # no token, name or address in what serve printed
    output = server.stdout.read() + server.stderr.read() if server.stdout and server.stderr else ""
    assert token not in output and "127.0.0.1:" + str(port) + " -" not in output


def test_production_refuses_default_secret_and_plain_http(tmp_path: Path) -> None:
    base = {**os.environ, "ROUNDS_DATA_DIR": str(tmp_path), "ROUNDS_ENV": "production"}
    for extra, needle in (
        ({}, "ROUNDS_SECRET_KEY"),
        ({"ROUNDS_SECRET_KEY": "x" * 40}, "ROUNDS_PUBLIC_URL"),
    ):
        result = run(["migrate"], {**base, **extra}, timeout=60)
        assert result.returncode != 0
        assert needle in result.stderr
        assert not (tmp_path / "rounds.db").exists()
    ok = run(
        ["migrate"],
        {**base, "ROUNDS_SECRET_KEY": "x" * 40, "ROUNDS_PUBLIC_URL": "https://rounds.trust.nhs.uk"},
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr


def test_create_admin(tmp_path: Path) -> None:
    env = {**os.environ, "ROUNDS_DATA_DIR": str(tmp_path), "ADMIN_PW": "long enough password"}
    result = run(
        [
            "create-admin",
            "--email",
            "it@trust.nhs.uk",
            "--name",
            "IT",
            "--password-env",
            "ADMIN_PW",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    short = run(
        ["create-admin", "--email", "b@trust.nhs.uk", "--name", "B", "--password-env", "NOPE"], env
    )
    assert short.returncode != 0 and "12 characters" in short.stderr
