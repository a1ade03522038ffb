"""The outcome of the last `rounds purge` runs, for /metrics and for an alert.

`rounds purge` runs in its own process (`docker compose exec app rounds purge`, nightly), so its
result cannot live in the serving process's memory. Each run writes one small JSON file beside
the data, ``<ROUNDS_DATA_DIR>/purge-status.json`` (replaced atomically), and the serving process
reads it at scrape time:

- ``rounds_purge_last_success_timestamp_seconds``: when a purge last completed (absent before
  the first);
- ``rounds_purge_last_failure_timestamp_seconds``: when one last failed (0: never);
- ``rounds_purge_failures_total``: failed runs recorded in the file.

An alert on ``time() - rounds_purge_last_success_timestamp_seconds > 26 * 3600`` catches a purge
that failed, and one that never ran (cron gone, the app container down at 03:15). The file holds
times and a count, nothing about people.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from app.core.config import Settings
from app.ops.metrics import REGISTRY, Registry

STATUS_FILE = "purge-status.json"
log = logging.getLogger("rounds.retention")


@dataclass(frozen=True)
class PurgeStatus:
    """What the status file says (Unix times)."""

    last_success: float | None = None
    last_failure: float | None = None
    failures: int = 0


def status_path(settings: Settings) -> Path:
    """Where `rounds purge` records its outcome for this configuration."""
    return settings.data_dir / STATUS_FILE


def read_status(path: Path) -> PurgeStatus:
    """The recorded status; an absent or unreadable file reads as "never ran"."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return PurgeStatus(
            last_success=_number(data.get("last_success")),
            last_failure=_number(data.get("last_failure")),
            failures=int(data.get("failures") or 0),
        )
    except (OSError, ValueError, TypeError, AttributeError):
        return PurgeStatus()


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def record(path: Path, *, ok: bool, at: float) -> PurgeStatus:
    """Record one run's outcome (atomically: a reader never sees half a file)."""
    before = read_status(path)
    after = (PurgeStatus(at, before.last_failure, before.failures) if ok
             else PurgeStatus(before.last_success, at, before.failures + 1))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".purge-status.")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(after), out)
        os.replace(tmp, path)
    except OSError as exc:
        # The purge's own outcome (exit code, log line) still stands; the metric goes stale,
        # which the last-success alert catches.
        log.error("retention purge status not written", extra={"error": type(exc).__name__})
    return after


def watch_purge(settings: Settings, registry: Registry = REGISTRY) -> None:
    """Expose the status file at /metrics (read at each scrape)."""
    path = status_path(settings)

    registry.gauge_function(
        "rounds_purge_last_success_timestamp_seconds",
        "Unix time the last `rounds purge` completed (absent before the first)",
        lambda: read_status(path).last_success)
    registry.gauge_function(
        "rounds_purge_last_failure_timestamp_seconds",
        "Unix time the last `rounds purge` failed (0: never)",
        lambda: read_status(path).last_failure or 0.0)
    registry.counter_function(
        "rounds_purge_failures_total", "Failed `rounds purge` runs recorded",
        lambda: float(read_status(path).failures))
