"""The one-off commands of docs/install.md and docs/operations.md, run as written against a
running `rounds serve` (local processes: Docker cannot run here).

In the stack they run inside the app container (`docker compose exec app rounds ...`), so here
each documented command loses its `docker compose exec [options] app` prefix and runs as a
second process beside the server, with the server's settings and data directory, as `exec`
gives it. The commands are read from the documents, so a command that is documented is a
command that is tested; `docker compose run` for the app is refused (a second container would
ask for the app's fixed address on the media network: "Address already in use").

A failed purge is loud: exit status 1, the log line `retention purge failed`, and /metrics.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.deploy.services import free_port, running, tail, wait_tcp

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "docs" / "install.md", ROOT / "docs" / "operations.md"]
PASSWORD = "a long test password"
EXEC = re.compile(r"docker compose exec\b(?P<rest>.*)")


@dataclass
class Documented:
    source: str
    exec_env: list[str]  # the `-e VAR` the command passes from the host
    argv: list[str]  # from `rounds` on


def documented_commands() -> list[Documented]:
    """Every `docker compose exec ... app rounds ...` in the documents, continuations joined."""
    found = []
    for path in DOCS:
        text = path.read_text().replace("\\\n", " ")
        for line in text.splitlines():
            match = EXEC.search(line)
            if not match:
                continue
            words = shlex.split(match["rest"])
            env: list[str] = []
            while words and words[0].startswith("-"):
                option = words.pop(0)
                if option in ("-e", "--env"):
                    env.append(words.pop(0))
                else:
                    assert option in ("-T", "--no-TTY"), f"{path.name}: untested option {option}"
            if words[:2] == ["app", "rounds"]:
                found.append(Documented(path.name, env, words[1:]))
    return found


@dataclass
class Server:
    base: str
    env: dict[str, str]
    data: Path
    log: Path


def rounds() -> list[str]:
    """The `rounds` command as the image has it (the console script of this install)."""
    script = Path(sys.executable).parent / "rounds"
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("operations")
    port = free_port()
    env = {  # what docker-compose.yml gives the app container (SQLite here)
        "ROUNDS_ENV": "production", "ROUNDS_SECRET_KEY": "s" * 40,
        "ROUNDS_PUBLIC_URL": "https://rounds.test", "ROUNDS_HOST": "127.0.0.1",
        "ROUNDS_PORT": str(port), "ROUNDS_DATA_DIR": str(directory / "data"),
        "ROUNDS_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'rounds.db'}",
        "ROUNDS_LOG_FORMAT": "json"}
    log = directory / "serve.log"
    with running([*rounds(), "serve"], log, env=env, cwd=ROOT) as process:
        wait_tcp(port, process, log, timeout=60)
        yield Server(f"http://127.0.0.1:{port}", env, directory / "data", log)


def run(server: Server, argv: list[str], extra: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([*rounds(), *argv[1:]], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={**os.environ, **server.env, **(extra or {})})


def metric(text: str, name: str) -> float | None:
    match = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def test_the_docs_use_exec_never_run_for_a_service_with_a_fixed_address() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    fixed = set()
    for name, service in compose["services"].items():
        networks = service.get("networks")
        if isinstance(networks, dict) and any(
                isinstance(n, dict) and "ipv4_address" in n for n in networks.values()):
            fixed.add(name)
    assert "app" in fixed
    for path in [*DOCS, *(ROOT / "docs").glob("*.md"), ROOT / "docker-compose.yml"]:
        text = path.read_text().replace("\\\n", " ")
        for match in re.finditer(r"compose run\b([^\n`]*)", text):
            words = [w for w in shlex.split(match.group(1)) if not w.startswith("-")]
            assert not (words and words[0] in fixed), f"{path.name}: {match.group(0)}"


def test_the_docs_document_the_admin_and_the_purge_commands() -> None:
    commands = {c.argv[1] for c in documented_commands()}
    assert {"create-admin", "purge"} <= commands, commands


def test_documented_commands_run_beside_the_running_app(server: Server) -> None:
    for command in documented_commands():
        passed = {name: PASSWORD for name in command.exec_env}
        done = run(server, command.argv, passed)
        assert done.returncode == 0, (command, done.stdout, done.stderr, tail(server.log))
        if command.argv[1] == "create-admin":
            email = command.argv[command.argv.index("--email") + 1]
            response = httpx.post(f"{server.base}/api/v1/auth/login",
                                  json={"email": email, "password": PASSWORD}, timeout=10)
            assert response.status_code == 200, response.text
        if command.argv[1] == "purge":
            assert re.search(r"members=\d+ invites=\d+", done.stderr), done.stderr
            metrics = httpx.get(f"{server.base}/metrics", timeout=10).text
            last = metric(metrics, "rounds_purge_last_success_timestamp_seconds")
            assert last is not None and abs(last - time.time()) < 120, metrics
    assert httpx.get(f"{server.base}/readyz", timeout=10).status_code == 200


def test_a_failed_purge_is_loud(server: Server) -> None:
    before = httpx.get(f"{server.base}/metrics", timeout=10).text
    failures = metric(before, "rounds_purge_failures_total") or 0.0
    # The database is unreachable for this run (as if the db container were down).
    done = run(server, ["rounds", "purge"],
               {"ROUNDS_DATABASE_URL": "postgresql+asyncpg://rounds@127.0.0.1:1/rounds"})
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = [json.loads(x) for x in done.stderr.splitlines() if x.startswith("{")]
    failed = [x for x in lines if x["message"] == "retention purge failed"]
    assert failed and failed[0]["level"] == "error" and failed[0]["logger"] == "rounds.retention"
    assert failed[0]["error"] in ("ConnectionRefusedError", "OSError"), failed[0]
    after = httpx.get(f"{server.base}/metrics", timeout=10).text
    assert metric(after, "rounds_purge_failures_total") == failures + 1
    assert (metric(after, "rounds_purge_last_failure_timestamp_seconds") or 0) > time.time() - 120
    assert "# TYPE rounds_purge_failures_total counter" in after
    # A failure does not move the last success: the 26-hour alert keeps counting.
    assert metric(after, "rounds_purge_last_success_timestamp_seconds") == metric(
        before, "rounds_purge_last_success_timestamp_seconds")
