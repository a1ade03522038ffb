"""The rounds core stays pure: no I/O, no asyncio, no wall clock, nothing from app.core."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import app.rounds

PURE = [
    "clock",
    "diagram",
    "engine",
    "errors",
    "events",
    "floor",
    "order",
    "phases",
    "sequence",
    "states",
    "templates",
    "view",
]
FORBIDDEN = {
    "asyncio",
    "time",
    "datetime",
    "socket",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "app.core",
}
ROOT = Path(app.rounds.__file__).parent


@pytest.mark.parametrize("name", PURE)
def test_module_imports_nothing_impure(name: str) -> None:
    tree = ast.parse((ROOT / f"{name}.py").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    for module in imported:
        assert not any(module == f or module.startswith(f + ".") for f in FORBIDDEN), module
