"""The frontend's JSDoc types, checked by TypeScript (`checkJs`, `noEmit`, strict)."""

from __future__ import annotations

import shutil
import subprocess

from tests.conftest import unavailable
from tests.frontend.conftest import ROOT


def test_tsc_passes() -> None:
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    if not tsc.exists() or shutil.which("node") is None:
        unavailable(
            "node_modules is missing (run `npm ci`) or node is not installed; "
            "the TypeScript check is skipped"
        )
    for project in (".", "rtc/testpage"):  # the pages, and the media server's test page
        result = subprocess.run(
            [str(tsc), "-p", project], cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
