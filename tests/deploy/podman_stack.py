"""THE STACK IN CONTAINERS: scripts/podman-stack runs docker-compose.yml's services (caddy, the
app, PostgreSQL, coturn) in real containers with Debian's podman, every image built from
Debian packages; then the documented commands run in the app container, as
`docker compose exec app ...` would run them.

Run by hand, as root, with podman, runc and debootstrap installed (the first build takes a few
minutes: debootstrap, then the images; `up` about 15 s):
`.venv/bin/python -m pytest tests/deploy/podman_stack.py`. The suite does not collect it (its
name is not test_*.py), so CI never skips it: CI's 90 minutes go to the rest, and the
local-process tests of tests/deploy/ stand in for the containers there.
"""

from __future__ import annotations

import os
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy.test_operations import PASSWORD, documented_commands

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "podman-stack"
HTTPS_PORT = int(os.environ.get("HTTPS_PORT", "8443"))
BASE = f"https://localhost:{HTTPS_PORT}"



def stack(*args: str, timeout: float = 120, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def running() -> Iterator[None]:
    built = stack("build", timeout=1200)
    assert built.returncode == 0, built.stderr[-3000:]
    up = stack("up", timeout=300)
    try:
        assert up.returncode == 0, (up.stdout, up.stderr[-3000:])
        yield
    finally:
        stack("down", timeout=120)


def media_ip() -> str:
    """The app's fixed address, as docker-compose.yml defaults it."""
    import re

    text = (ROOT / "docker-compose.yml").read_text()
    default = re.search(r"\$\{ROUNDS_MEDIA_IP:-([^}]+)\}", text)
    assert default
    return os.environ.get("ROUNDS_MEDIA_IP", default.group(1))


def client() -> httpx.Client:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the stack's own cert
    return httpx.Client(base_url=BASE, verify=context, timeout=15)


def test_readiness_through_caddy_sees_the_database_and_every_turn_listener(running: None) -> None:
    with client() as c:
        ready = c.get("/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["database"] == "ok" and len(body["turn"]) == 3
    assert set(body["turn"].values()) == {"ok"}, body


def test_documented_commands_run_in_the_app_container(running: None) -> None:
    for command in documented_commands():
        options = [x for name in command.exec_env for x in ("-e", name)]
        done = stack("exec", *options, *command.argv,
                     env={name: PASSWORD for name in command.exec_env})
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        if command.argv[1] == "create-admin":
            email = command.argv[command.argv.index("--email") + 1]
            with client() as c:
                signed_in = c.post("/api/v1/auth/login", json={"email": email,
                                                              "password": PASSWORD})
            assert signed_in.status_code == 200, signed_in.text
    metrics = httpx.get("http://127.0.0.1:9180/metrics", timeout=10).text
    assert "\nrounds_purge_last_success_timestamp_seconds " in metrics


def test_a_second_container_with_the_apps_fixed_address_is_refused(running: None) -> None:
    """What `docker compose run app ...` does: a new container asking for the same address."""
    limit = subprocess.run(["sh", "-c", "ulimit -Hn"], capture_output=True, text=True).stdout
    done = subprocess.run(
        ["podman", "--runtime", "runc", "run", "--rm", "--ulimit", f"nofile={limit.strip()}",
         "--ulimit", "nproc=4096:4096", "--network",
         f"rounds_media:ip={media_ip()}",
         "localhost/rounds:0.1.0", "rounds", "--help"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "already allocated" in done.stderr, done.stderr
