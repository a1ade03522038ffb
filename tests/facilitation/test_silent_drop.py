"""A facilitator whose network goes silent (no close, no answers) loses the controls to the
co-facilitator within 5 s when the heartbeat is set for it (ROUNDS_RTC_PING_AFTER=2,
ROUNDS_RTC_DROP_AFTER=4); the defaults (20 s / 45 s) trade that for fewer pings."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from pydantic import SecretStr

from app.core.config import Settings
from tests.facilitation.stage import Stage, marks, state


async def test_controls_pass_within_5_s_of_a_silent_drop(sqlite_template: Path,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "rounds.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", data_dir=tmp_path,
                        secret_key=SecretStr("t" * 40), public_url="http://testserver",
                        rtc_ping_after=2.0, rtc_drop_after=4.0)
    stage = Stage(settings)
    await stage.start()
    try:
        await stage.build(members=1)
        fac, cofac = stage.fac, stage.cofac
        await stage.enter(fac)
        await stage.enter(cofac)
        await state(cofac, lambda s: s["controller"] == fac.id)
        mark = marks(stage.people)
        # The facilitator's browser stops reading and answering; its socket stays open.
        for task in fac.rtc._tasks:
            task.cancel()
        silent = time.monotonic()
        handed = await state(cofac, lambda s: s["controller"] == cofac.id, since=mark, timeout=8)
        took = time.monotonic() - silent
        print(f"\ncontrols with the co-facilitator {took:.2f} s after the network went silent")
        assert handed["controller"] == cofac.id
        assert took <= 5.0  # 4 s after its last message, with a second of slack
    finally:
        await stage.close()
