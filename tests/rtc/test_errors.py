"""Errors map to stable codes and close codes in one place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rtc import errors as e


@pytest.mark.parametrize(
    ("error", "code", "close"),
    [
        (e.AuthError(code="token_expired"), "token_expired", 4001),
        (e.HandshakeError(code="bad_version"), "bad_version", 4002),
        (e.RoomFull(), "room_full", 4003),
        (e.TimedOut(), "timeout", 4004),
        (e.Replaced(), "replaced", 4006),
        (e.RoomClosed(), "room_closed", 4007),
        (e.Removed(), "removed", 4008),
        (e.ServerClosing(), "shutdown", 1001),
        (e.Moved(), "moved", 4010),
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
        e.AppRejected(code="not_your_turn"),
    ):
        assert not error.fatal
    assert e.close_code(None) == 1000
    assert e.close_code(ValueError()) == 1011
    assert e.AppRejected("no", code="not_your_turn").code == "not_your_turn"
    assert e.AppRejected.code == "app_rejected"  # a per-instance code leaves the class alone


def codes_in_rtc() -> set[str]:
    """Every error code rtc/ can send: the classes' codes and each ``code="..."`` it raises."""
    errors = [c for c in vars(e).values() if isinstance(c, type) and issubclass(c, e.RTCError)]
    classes = {cls.code for cls in errors}
    raised = set()
    for path in Path(e.__file__).parent.glob("*.py"):
        raised |= set(re.findall(r'\bcode="([^"]+)"', path.read_text()))
    return classes | raised


def test_every_code_is_snake_case_and_documented() -> None:
    doc = (Path(e.__file__).parents[1] / "docs" / "protocol.md").read_text()
    table = doc.split("\n## Error codes\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([^`]+)`(?:, `([^`]+)`)?", table, re.MULTILINE))
    documented_codes = {code for row in documented for code in row if code}
    codes = codes_in_rtc()
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in codes), codes
    assert codes == documented_codes
