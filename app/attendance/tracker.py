"""Minutes present, counted in a live session's task from presence (pure: time is an input).

A member arrives when their connection joins the room and leaves when it closes or drops; the
seconds in between add up. ``take`` hands over the whole minutes not yet written, keeping the
rest, so a record grows as people come and go; ``take(final=True)`` rounds what is left to the
nearest minute (the session ended, or the server stops).
"""

from __future__ import annotations


class Tracker:
    def __init__(self) -> None:
        self._since: dict[str, float] = {}
        self._seconds: dict[str, float] = {}

    def arrive(self, participant: str, now: float) -> None:
        self._since.setdefault(participant, now)

    def leave(self, participant: str, now: float) -> None:
        since = self._since.pop(participant, None)
        if since is not None:
            self._seconds[participant] = self._seconds.get(participant, 0.0) + max(0.0, now - since)

    def leave_all(self, now: float) -> None:
        for participant in list(self._since):
            self.leave(participant, now)

    def take(self, *, final: bool = False) -> dict[str, int]:
        """Whole minutes to add to each participant's record (none for zero)."""
        out: dict[str, int] = {}
        for participant, seconds in list(self._seconds.items()):
            minutes = int(seconds / 60 + 0.5) if final else int(seconds // 60)
            rest = 0.0 if final else seconds - minutes * 60
            if rest > 0:
                self._seconds[participant] = rest
            else:
                del self._seconds[participant]
            if minutes > 0:
                out[participant] = minutes
        return out

    def give_back(self, taken: dict[str, int]) -> None:
        """Minutes that could not be written (the database is down) wait for the next try."""
        for participant, minutes in taken.items():
            self._seconds[participant] = self._seconds.get(participant, 0.0) + minutes * 60
