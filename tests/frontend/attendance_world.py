"""A doctor with attendance on record, for the attendance pages' browser tests (the records
are written as the live session's task writes them: tests/attendance/ covers a real room)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page

from tests.frontend.conftest import Api, Server, doctor_joins, make_world


def doctor_with_attendance(page: Page, server: Server, api: Api, group: str, name: str,
                           dates: dict[str, int]) -> str:
    """A doctor joins ``group`` in ``page``'s browser and has ``dates`` (ISO: minutes) on
    record; returns the group's id."""
    world = make_world(api, group)
    _, link = world.invite(name)
    doctor_joins(page, link, name)
    for on, minutes in dates.items():
        server.sql(
            "INSERT INTO attendance (id, created_at, member_id, group_id, on_date, minutes) "
            "SELECT ?, '2026-01-01 00:00:00.000000', id, group_id, ?, ? FROM members "
            "WHERE display_name = ? AND group_id = ?",
            uuid.uuid4().hex, on, minutes, name, world.gid.replace("-", ""))
    return world.gid
