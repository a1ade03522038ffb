"""The round engine: the pure core of a facilitated session.

Pure modules (no I/O, no asyncio, no wall clock; import-linter keeps it so): ``phases``
(template and phase values), ``clock`` (pausable countdowns and overrun warnings), ``events``,
``states`` and ``engine`` (the round state machine), ``order`` (initial turn order), ``floor``
(whose audio is forwarded, raised hands), ``sequence`` (the session's phase sequence),
``diagram`` (Mermaid diagrams generated from the transition tables) and ``errors``.
Templates as a group saves them are ``app.templates``; a live session is ``app.facilitation``.
"""
