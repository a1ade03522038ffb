"""Property tests for the secrets behind links, cookies and join tokens."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.security import new_token, same_hash, sign, token_hash, unsign
from rtc import jointoken

SECRET = b"k" * 32


def test_invite_tokens_are_long_random_and_url_safe() -> None:
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    for token in tokens:
        assert len(token) >= 43  # 256 bits
        assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=200))
def test_token_hash_is_deterministic_and_separating(a: str, b: str) -> None:
    assert token_hash(a) == token_hash(a)
    assert len(token_hash(a)) == 64
    assert (token_hash(a) == token_hash(b)) == (a == b)
    assert same_hash(token_hash(a), token_hash(b)) == (a == b)


payloads = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


@given(payloads, st.sampled_from(["rounds_account", "rounds_device"]))
def test_signed_values_round_trip_for_their_purpose_only(payload: object, purpose: str) -> None:
    value = sign(SECRET, purpose, payload, max_age=60)
    assert unsign(SECRET, purpose, value) == payload
    other = "rounds_device" if purpose == "rounds_account" else "rounds_account"
    assert unsign(SECRET, other, value) is None
    assert unsign(b"x" * 32, purpose, value) is None


@settings(max_examples=300)
@given(st.data())
def test_any_change_to_a_signed_value_is_refused(data: st.DataObject) -> None:
    value = sign(SECRET, "rounds_device", [{"m": "id", "k": "key"}], max_age=60)
    index = data.draw(st.integers(0, len(value) - 1))
    replacement = data.draw(
        st.sampled_from("ABCDEFabcdef0123456789-_.").filter(lambda c: c != value[index])
    )
    tampered = value[:index] + replacement + value[index + 1 :]
    result = unsign(SECRET, "rounds_device", tampered)
    # base64 padding bits can absorb a change to a last character: the payload is then unchanged
    assert result is None or result == [{"m": "id", "k": "key"}]


def test_expired_signed_value_is_refused() -> None:
    assert unsign(SECRET, "p", sign(SECRET, "p", 1, max_age=-1)) is None


claims = st.builds(
    jointoken.JoinClaims,
    room=st.uuids().map(str),
    participant=st.uuids().map(str),
    role=st.sampled_from(jointoken.ROLES),
    name=st.text(min_size=1, max_size=80),
    expires_at=st.integers(4_000_000_000, 5_000_000_000),  # far future, whenever it runs
)


@given(claims)
def test_join_tokens_round_trip(c: jointoken.JoinClaims) -> None:
    assert jointoken.verify(SECRET, jointoken.issue(SECRET, c)) == c


@given(claims, st.text(max_size=300))
def test_join_token_garbage_and_forgery_raise_the_one_error(
    c: jointoken.JoinClaims, junk: str
) -> None:
    for bad in (junk, jointoken.issue(b"another secret", c), jointoken.issue(SECRET, c) + "x"):
        try:
            jointoken.verify(SECRET, bad)
        except jointoken.JoinTokenError:
            continue
        raise AssertionError(f"accepted {bad!r}")


def test_join_token_expiry() -> None:
    c = jointoken.JoinClaims("r", "p", "member", "n", expires_at=1000)
    token = jointoken.issue(SECRET, c)
    assert jointoken.verify(SECRET, token, now=999) == c
    try:
        jointoken.verify(SECRET, token, now=1000)
    except jointoken.JoinTokenError as exc:
        assert "expired" in str(exc)
    else:
        raise AssertionError("an expired token was accepted")
