"""What each table holds, for the trust's DPIA: declared next to each model, checked and
written out by ``app.ops.dataflow`` (the "Stored in the database" section of
docs/data-flow.md).

Every model declares ``__dataflow__ = Table(...)``: what a row is, when rows are deleted, and
for every column its purpose, whether it is personal data (and whose), and how long it is kept
when that differs from its row. tests/ops/test_dataflow.py fails when a column has no entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PERSONAL_NO = "no"


@dataclass(frozen=True, slots=True)
class Col:
    """One column: why it exists, whether it is personal data, how long it is kept."""

    purpose: str
    personal: str = PERSONAL_NO
    """``no``, or whose personal data it is and what (e.g. "yes: the doctor's chosen name")."""
    kept: str = ""
    """Empty: as long as its row. Otherwise when the value goes before its row does."""


ID = Col("random identifier of the row (a UUID)")
CREATED = Col("when the row was created")


@dataclass(frozen=True, slots=True)
class Table:
    """One table: what a row is, who it is about, and when rows are deleted."""

    holds: str
    deleted: str
    columns: dict[str, Col] = field(default_factory=dict)
