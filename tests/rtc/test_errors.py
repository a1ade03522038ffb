"""Errors map to stable codes and close codes in one place."""

from __future__ import annotations

import pytest

from rtc import errors as e


@pytest.mark.parametrize(
    ("error", "code", "close"),
    [
        (e.AuthError(code="token-expired"), "token-expired", 4001),
        (e.HandshakeError(code="bad-version"), "bad-version", 4002),
        (e.RoomFull(), "room-full", 4003),
        (e.TimedOut(), "timeout", 4004),
        (e.Replaced(), "replaced", 4006),
        (e.RoomClosed(), "room-closed", 4007),
        (e.Removed(), "removed", 4008),
        (e.ServerClosing(), "shutdown", 1001),
        (e.InternalError(), "internal", 1011),
    ],
)
def test_fatal_errors_close_with_their_code(error: e.RTCError, code: str, close: int) -> None:
    assert error.fatal and error.code == code
    assert e.close_code(error) == close


def test_non_fatal_errors_and_the_rest() -> None:
    for error in (
        e.ProtocolError(),
        e.MessageTooLarge(),
        e.RateLimited(),
        e.Spoofed(),
        e.AppRejected(code="not-your-turn"),
    ):
        assert not error.fatal
    assert e.close_code(None) == 1000
    assert e.close_code(ValueError()) == 1011
    assert e.AppRejected("no", code="not-your-turn").code == "not-your-turn"
    assert e.AppRejected.code == "app-rejected"  # a per-instance code leaves the class alone
