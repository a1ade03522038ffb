"""The architecture as contracts (pyproject.toml, [tool.importlinter]; docs/architecture.md):
app/'s domains in layers, rtc/ never importing app/, the round engine importing no I/O. Each
contract is also shown to fail on a planted import that breaks it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT), "--no-cache", "--no-logo"], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_contracts_are_kept() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


PLANTS = {
    "layers": ("app/groups/service.py", "from app.sessions import service as _upward"),
    "rtc-boundary": ("rtc/room.py", "import app.core.config as _app"),
    "pure-engine": ("app/rounds/clock.py", "import time as _wall_clock"),
}


@pytest.mark.parametrize("contract", sorted(PLANTS))
def test_a_planted_import_breaks_its_contract(contract: str, tmp_path: Path) -> None:
    for part in ("app", "rtc"):
        shutil.copytree(ROOT / part, tmp_path / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    path, line = PLANTS[contract]
    planted = tmp_path / path
    planted.write_text(planted.read_text() + f"\n{line}  # noqa\n")
    result = lint(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [ln for ln in result.stdout.splitlines() if " BROKEN" in ln]
    assert len(broken) == 1, result.stdout
    assert path.removesuffix(".py").replace("/", ".") in result.stdout
