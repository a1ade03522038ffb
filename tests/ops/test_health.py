"""/healthz, /readyz and /metrics on both databases."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import text

from app.core.db import create_engine
from app.core.migrate import head_revision
from app.ops.metrics import HTTP_REQUESTS, MAX_SERIES, Registry
from tests.conftest import Clients


async def test_healthz_and_readyz_when_all_is_well(clients: Clients) -> None:
    client = clients.new()
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["schema"] == head_revision()


async def test_readyz_is_503_when_migrations_are_behind(app: Any, clients: Clients) -> None:
    async with app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = 'behind'"))
    try:
        response = await clients.new().get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "migrations_pending"
    finally:  # the database is shared with later tests (the migrations' own among them)
        async with app.state.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :head"),
                               {"head": head_revision()})


async def test_readyz_is_503_when_the_database_is_unreachable(app: Any, clients: Clients) -> None:
    # The database goes away after start-up: the app's engine now points at a closed port.
    real = app.state.engine
    app.state.engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        client = clients.new()
        response = await client.get("/readyz")
        assert (await client.get("/healthz")).status_code == 200
    finally:
        await app.state.engine.dispose()
        app.state.engine = real
    assert response.status_code == 503
    assert response.json()["status"] == "database_unreachable"


async def test_metrics_count_requests_by_route_template_not_path(world: Any) -> None:
    group_id = world.group_a["id"]
    before = HTTP_REQUESTS.value(route="/api/v1/groups/{group_id}/invites", method="POST",
                                 status="2xx")
    await world.invite()
    await world.invite()
    missing = await world.fa.get("/api/v1/sessions/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    body = (await world.fa.get("/metrics")).text
    assert HTTP_REQUESTS.value(route="/api/v1/groups/{group_id}/invites", method="POST",
                               status="2xx") == before + 2
    assert re.search(r'rounds_http_requests_total\{route="/api/v1/sessions/\{session_id\}",'
                     r'method="GET",status="4xx"\} \d+', body)
    assert "# TYPE rounds_errors_total counter" in body
    assert "\nrounds_rooms 0\n" in body and "\nrounds_participants 0\n" in body
    assert "\nrounds_forwarded_video_packets 0\n" in body
    assert "\nrounds_forwarder_errors 0\n" in body
    assert "\nrounds_media_overload_level 0\n" in body
    assert group_id not in body and "fa@trust.nhs.uk" not in body and "Facilitator" not in body


def test_registry_renders_prometheus_text_and_limits_series() -> None:
    registry = Registry()
    packets = registry.counter("x_packets_total", "Packets", labels=("kind",))
    packets.inc(kind="audio")
    packets.inc(3, kind="video")
    registry.gauge_function("x_rooms", "Rooms", lambda: 2)
    assert registry.counter("x_packets_total", "Packets", labels=("kind",)) is packets
    assert registry.render() == (
        "# HELP x_packets_total Packets\n# TYPE x_packets_total counter\n"
        'x_packets_total{kind="audio"} 1\nx_packets_total{kind="video"} 3\n'
        "# HELP x_rooms Rooms\n# TYPE x_rooms gauge\nx_rooms 2\n")
    with pytest.raises(ValueError):
        packets.inc(kind="audio", room="r1")
    with pytest.raises(ValueError):
        packets.inc(-1, kind="audio")
    many = registry.counter("x_many_total", "Many", labels=("n",))
    for n in range(MAX_SERIES):
        many.inc(n=str(n))
    with pytest.raises(ValueError):
        many.inc(n=str(MAX_SERIES))


def test_a_gauge_set_all_at_once_drops_the_series_left_out() -> None:
    registry = Registry()
    rooms = registry.gauge("x_worker_rooms", "Rooms", labels=("worker",))
    rooms.set_all({"w1": 2, "w2": 1})
    rooms.set_all({"w2": 3})  # w1 stopped beating
    assert registry.render() == (
        '# HELP x_worker_rooms Rooms\n# TYPE x_worker_rooms gauge\nx_worker_rooms{worker="w2"} 3\n')
    with pytest.raises(ValueError):
        registry.gauge("x_two", "Two", labels=("a", "b")).set_all({"x": 1})


def test_the_workers_metrics_merged_family_by_family_with_their_worker() -> None:
    """The embedded default's `/metrics` adds its media workers' own (app/workers.py)."""
    from app.ops.metrics import family_names, merged

    def exposition(rooms: int, packets: int) -> str:
        return (f"# HELP rounds_rooms Rooms open\n# TYPE rounds_rooms gauge\nrounds_rooms {rooms}\n"
                "# HELP rounds_rtc_packets_total Packets\n# TYPE rounds_rtc_packets_total counter\n"
                f'rounds_rtc_packets_total{{kind="video"}} {packets}\n'
                "# HELP rounds_errors_total Errors\n# TYPE rounds_errors_total counter\n"
                'rounds_errors_total{kind="unhandled"} 0\n'
                "# HELP rounds_media_worker Which\n# TYPE rounds_media_worker gauge\n"
                'rounds_media_worker{worker="x"} 1\n')

    own = "# HELP rounds_errors_total Errors\n# TYPE rounds_errors_total counter\n"
    text = merged({"local-1": exposition(2, 10), "local-2": exposition(0, 5)},
                  skip=family_names(own))
    assert text.splitlines() == [
        "# HELP rounds_rooms Rooms open", "# TYPE rounds_rooms gauge",
        'rounds_rooms{worker="local-1"} 2', 'rounds_rooms{worker="local-2"} 0',
        "# HELP rounds_rtc_packets_total Packets", "# TYPE rounds_rtc_packets_total counter",
        'rounds_rtc_packets_total{worker="local-1",kind="video"} 10',
        'rounds_rtc_packets_total{worker="local-2",kind="video"} 5']
