"""docs/data-flow.md's tables are generated from the models: every column must say its purpose,
whether it is personal data and how long it is kept, and the committed document must be
current."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Column, String

from app.accounts.models import Account
from app.core.dataflow import Col
from app.ops import dataflow


def test_every_table_and_column_is_declared() -> None:
    assert dataflow.missing() == []


@pytest.fixture
def planted_column() -> Iterator[None]:
    """A column added to a table without a declaration (removed again afterwards)."""
    table = Account.__table__
    column = Column("nickname", String(40))
    table.append_column(column)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        table._columns.remove(column)  # type: ignore[attr-defined]


def test_a_column_without_purpose_and_retention_fails(planted_column: None) -> None:
    assert dataflow.missing() == [
        "accounts.nickname: no purpose, personal data or retention declared"]
    with pytest.raises(ValueError, match="accounts.nickname"):
        dataflow.section()


def test_an_empty_purpose_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    flow = Account.__dataflow__
    monkeypatch.setitem(flow.columns, "email", Col(""))
    assert dataflow.missing() == ["accounts.email: purpose and personal data must be stated"]


def test_committed_data_flow_doc_is_current() -> None:
    text = dataflow.TARGET.read_text(encoding="utf-8")
    assert dataflow.render(text) == text, (
        "docs/data-flow.md is stale: run python -m app.ops.dataflow --write docs/data-flow.md")


def test_the_prose_around_the_generated_section_is_kept() -> None:
    text = dataflow.TARGET.read_text(encoding="utf-8")
    assert text.startswith("# Data flow: what Rounds stores, where, and for how long")
    assert "## Stored in the browser" in text and "## Rights of the people concerned" in text
    for name in ("members", "invites", "sessions", "live_states", "audit_events"):
        assert f"### `{name}`" in text
    for column in ("`account_id`", "`invite_id`", "`created_by`", "`series_id`", "`started_at`",
                   "`created_at`"):
        assert column in text
    assert "random nonce" in text and "deleting is not offered" not in text
