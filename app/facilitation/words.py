"""What people say in writing during a live session: the private word to the facilitators and
the group's chat. Held in memory only, for the session, and gone when it ends.

Nothing here is ever in the database, a log line or a metric: not the text, not who wrote to
whom. ``Words`` belongs to one ``LiveSession`` (its task is the only one that touches it) and is
cleared when the session ends. The handlers are pure over it: they return the deliveries
(``Delivery``: an event and its recipients) and the runtime sends them.

- **A private word**: "I need a moment" is a signal the facilitators see (in their `state`,
  ``moments``), nobody else; a short message goes to the facilitators present only; a
  facilitator answers one person privately. Refused when no facilitator is in the room.
- **The chat**: a message goes to everyone present; the last ``HISTORY`` messages are kept in
  memory so someone who joins or comes back sees them; the facilitator holding the controls can
  turn it off (and on) for the session (``Live.chat_off``, the only part saved). Links are text:
  the server never fetches one and the page never makes one a link.

Limits: a message of at most 500 characters (``messages``), and at most ``RATE`` messages per
``WINDOW`` seconds from one person (chat and private words counted apart).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.facilitation.errors import LiveError, Refused
from app.facilitation.messages import Chat, ChatRequest, Word, WordRequest
from app.facilitation.state import Live, bump, need_control
from app.members.models import FACILITATING

HISTORY = 50
RATE = 5
WINDOW = 10.0


@dataclass(frozen=True)
class Delivery:
    """An event and who gets it."""

    event: dict[str, Any]
    to: tuple[str, ...]


@dataclass
class Words:
    """One session's chat and private words, in memory only."""

    moments: set[str] = field(default_factory=set)
    chat: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=HISTORY))
    _sent: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def clear(self) -> None:
        """The session has ended: nothing of it stays."""
        self.moments.clear()
        self.chat.clear()
        self._sent.clear()

    def throttle(self, channel: str, participant: str, now: float) -> None:
        """Refuse a message over the rate (``RATE`` per ``WINDOW`` seconds)."""
        sent = self._sent.setdefault((channel, participant), deque(maxlen=RATE))
        if len(sent) == RATE and now - sent[0] < WINDOW:
            raise LiveError("too_fast", "please wait a few seconds before writing again")
        sent.append(now)


def _text(text: str | None) -> str:
    clean = (text or "").strip()
    if not clean:
        raise LiveError("empty_message", "write something first")
    return clean


def _facilitators(roles: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(p for p, r in roles.items() if r in FACILITATING)


def word(words: Words, a: WordRequest, sender: str, roles: Mapping[str, str],
         now: float) -> list[Delivery]:
    """A private word to the facilitators, or a facilitator's private answer."""
    leads = tuple(p for p in _facilitators(roles) if p != sender)
    if a.action == "moment":
        on = a.on is not False
        if on == (sender in words.moments):
            return []
        (words.moments.add if on else words.moments.discard)(sender)
        event = Word(action="moment", sender=sender, on=on).model_dump(mode="json")
        return [Delivery(event, leads)]
    words.throttle("word", sender, now)
    text = _text(a.text)
    if a.action == "message":
        if not leads:
            raise LiveError("no_facilitator", "no facilitator is in the room just now")
        return [Delivery(Word(action="message", sender=sender, text=text).model_dump(mode="json"),
                         leads)]
    if roles.get(sender) not in FACILITATING:
        raise Refused("not_facilitator", "only a facilitator can answer privately")
    if a.participant_id is None or a.participant_id not in roles:
        raise LiveError("not_present", "that person is not in the room")
    event = Word(action="reply", sender=sender, text=text).model_dump(mode="json")
    # the other facilitators see the answer too, so they know the person has been answered
    return [Delivery(event, (a.participant_id, *leads))]


def chat(words: Words, live: Live, a: ChatRequest, sender: str, roles: Mapping[str, str],
         now: float) -> tuple[Live, list[Delivery]]:
    """A chat message to everyone present, or the facilitator turning the chat off or on."""
    if a.action in ("off", "on"):
        need_control(live, sender)
        off = a.action == "off"
        if off:
            words.chat.clear()  # what was said before goes with it
        return (live if live.chat_off == off else bump(live, chat_off=off)), []
    if live.chat_off:
        raise LiveError("chat_off", "the facilitator has turned the chat off")
    words.throttle("chat", sender, now)
    event = Chat(sender=sender, text=_text(a.text), at=round(now, 3)).model_dump(mode="json")
    words.chat.append(event)
    return live, [Delivery(event, tuple(roles))]


def history(words: Words, live: Live) -> list[dict[str, Any]]:
    """The chat so far (for someone who joins or comes back); nothing while it is off."""
    return [] if live.chat_off else list(words.chat)
