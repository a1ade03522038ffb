"""Rounds, turns, phases and templates: the pure core of a facilitated session.

Pure modules (no I/O, no asyncio, no wall clock): ``phases`` (template and phase values),
``templates`` (the default templates), ``clock`` (pausable countdowns and overrun warnings),
``events``, ``states`` and ``engine`` (the round state machine), ``view`` (the snapshot shown
to everyone), ``order`` (initial turn order), ``floor``
(whose audio is forwarded, raised hands), ``sequence`` (the session's phase sequence),
``diagram`` (Mermaid diagrams generated from the transition tables) and ``errors``.
"""
