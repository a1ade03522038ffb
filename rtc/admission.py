"""Who may no longer enter: the revocations app/ gives rtc/, checked at every join.

A join token is verified without the database (``rtc.jointoken``) and names its room (a session)
and participant (a membership); a revocation is how app/ withdraws the tokens it has issued. It
names a room (closed for good: the session ended), a participant (removed from every room: the
membership ended) or both (removed from one room), and refuses every token for that scope. app/
issues no new token for a scope it has revoked, and tokens are short-lived, so an entry is
dropped once every token it could refuse has expired (``lifetime`` after it). app/ persists them
and gives them back after a restart, so a closed room stays closed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .jointoken import JoinClaims


@dataclass(frozen=True, slots=True)
class Revocation:
    room: str | None
    """The room (session id) it closes, or None for every room."""
    participant: str | None
    """The participant (membership id) it refuses, or None for everyone."""
    at: float
    """Unix time it was made."""


class Admission:
    """The revocations in force, with the lifetime of the tokens they may refuse."""

    def __init__(self, token_lifetime: float) -> None:
        self.lifetime = token_lifetime
        self._entries: dict[tuple[str | None, str | None], float] = {}

    def revoke(self, revocation: Revocation) -> None:
        key = (revocation.room, revocation.participant)
        self._entries[key] = max(revocation.at, self._entries.get(key, revocation.at))
        self._prune(revocation.at)

    def refusal(self, claims: JoinClaims, now: float) -> Revocation | None:
        """The revocation that refuses this token, if any (expired entries are dropped)."""
        self._prune(now)
        for key in ((claims.room, None), (claims.room, claims.participant),
                    (None, claims.participant)):
            at = self._entries.get(key)
            if at is not None:
                return Revocation(key[0], key[1], at)
        return None

    def _prune(self, now: float) -> None:
        if len(self._entries) > 64:  # cheap enough to scan only once there are many
            for key in [k for k, at in self._entries.items() if at + self.lifetime < now]:
                del self._entries[key]
