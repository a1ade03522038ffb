"""Revocations refuse the tokens of their scope until every such token has expired."""

from __future__ import annotations

from rtc.admission import Admission, Revocation
from rtc.jointoken import JoinClaims


def claims(room: str, participant: str) -> JoinClaims:
    return JoinClaims(room=room, participant=participant, role="member", name="n",
                      expires_at=2_000_000_000)


def test_each_scope_refuses_only_what_it_names() -> None:
    admission = Admission(token_lifetime=120)
    admission.revoke(Revocation("closed", None, at=1000))
    admission.revoke(Revocation("r", "removed", at=1000))
    admission.revoke(Revocation(None, "ended", at=1000))
    assert admission.refusal(claims("closed", "anyone"), 1001) == Revocation("closed", None, 1000)
    assert admission.refusal(claims("r", "removed"), 1001) == Revocation("r", "removed", 1000)
    assert admission.refusal(claims("other", "removed"), 1001) is None
    assert admission.refusal(claims("any", "ended"), 1001) == Revocation(None, "ended", 1000)
    assert admission.refusal(claims("r", "someone"), 1001) is None


def test_entries_go_once_no_token_they_refuse_can_be_valid() -> None:
    admission = Admission(token_lifetime=120)
    for i in range(100):
        admission.revoke(Revocation(f"room-{i}", None, at=1000))
    assert admission.refusal(claims("room-7", "p"), 1119) is not None
    admission.revoke(Revocation("late", None, at=1121))  # prunes what has outlived its tokens
    assert admission.refusal(claims("room-7", "p"), 1121) is None
    assert admission.refusal(claims("late", "p"), 1121) is not None
