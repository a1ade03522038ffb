"""Debian's Chromium as every browser test starts it: headless, fake camera and microphone, and
none of the background traffic a closed network refuses."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import unavailable

CHROMIUM = Path(os.environ.get("ROUNDS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def require_chromium() -> None:
    """Skip without Chromium (fail under CI, where the browser tests must run)."""
    if not CHROMIUM.exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium); "
                    "browser tests skipped")
