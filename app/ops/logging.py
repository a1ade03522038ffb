"""Structured logs with personal data taken out before anything is written.

``configure_logging(settings)`` installs one handler on the root logger (JSON lines or text) and
routes uvicorn's loggers through it. Every record passes ``redact`` first:

- message arguments are kept only when they are numbers, booleans, UUIDs or enum members (or
  wrapped in ``Safe``); any other argument, a display name for instance, becomes ``[redacted]``
  (except in alembic's and uvicorn's server messages, ``TRUSTED_ARGUMENTS``);
- ``extra`` fields are kept only when their name is not a personal field (``email``,
  ``display_name``, ``token``, ``ip``, ...) and their value is a safe type or a short word;
- what is left is scanned for email addresses, IP addresses and long random tokens, which are
  replaced by ``[email]``, ``[ip]``, ``[token]``;
- an exception's text loses SQL parameters (``[parameters: ...]``) and is scanned the same way.

Redaction applies at every level: a debug log is still a log file.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from app.core.config import Settings

REDACTED = "[redacted]"
HANDLER_NAME = "rounds-structured"
PERSONAL_KEYS = frozenset({
    "email", "display_name", "name", "token", "password", "secret", "ip", "client", "address",
    "host", "remote", "cookie", "authorization", "username", "credential", "label", "path", "url",
    "query"})
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
IPV6 = re.compile(r"(?<![\w:])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}"
                  r"|(?:[0-9a-fA-F]{1,4}:){0,6}[0-9a-fA-F]{0,4}::(?:[0-9a-fA-F]{1,4}:?){0,6})"
                  r"(?=(?::\d{1,5})?(?![\w:]))")  # uvicorn writes "address:port"
TOKEN = re.compile(r"[A-Za-z0-9_\-+/=.]{24,}")
SQL_PARAMETERS = re.compile(r"\[parameters: .*?\]\s*(?=\(|$)", re.S)
WORD = re.compile(r"[a-z0-9_.:/{}-]{0,60}")
STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message", "asctime", "taskName", "color_message"}
# Libraries whose message arguments are versions, revisions and addresses of this server, never
# about people: their string arguments are kept (and still scanned for emails, IPs and tokens).
TRUSTED_ARGUMENTS = ("alembic.", "uvicorn.error")


class Safe(str):
    """A string argument known to carry no personal data (a state, a kind, a module name)."""


def _safe_arg(value: object) -> object:
    if isinstance(value, Safe | bool | int | float | uuid.UUID | Enum) or value is None:
        return value
    return REDACTED


def scrub(text: str) -> str:
    """Replace email addresses, IP addresses and token-like strings in free text."""
    text = EMAIL.sub("[email]", text)
    text = IPV4.sub("[ip]", text)
    text = IPV6.sub("[ip]", text)
    return TOKEN.sub(lambda m: m.group(0) if _is_uuid_or_path(m.group(0)) else "[token]", text)


def _is_uuid_or_path(text: str) -> bool:
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        pass
    # Dotted module names, file paths and snake_case names (functions in a traceback) are long
    # but not secret; a token has capitals or dashes (URL-safe base64) almost surely.
    return bool(re.fullmatch(r"(?=.*[./])[a-z0-9_./-]+", text)
                or re.fullmatch(r"(?:[A-Za-z_]\w*\.)*_*[a-z][a-z0-9]*(?:_+[a-z0-9]+)+", text))


def _safe_extra(key: str, value: object) -> object:
    if key.lower() in PERSONAL_KEYS:
        return REDACTED
    if isinstance(value, bool | int | float | uuid.UUID | Enum) or value is None:
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Safe) or (isinstance(value, str) and WORD.fullmatch(value)):
        return scrub(str(value))
    return REDACTED


def redact(record: logging.LogRecord) -> dict[str, Any]:
    """The record as a dict with every personal field removed."""
    args = record.args
    trusted = record.name.startswith(TRUSTED_ARGUMENTS)
    if isinstance(args, dict) and not trusted:
        args = {k: _safe_arg(v) for k, v in args.items()}
    elif isinstance(args, tuple) and not trusted:
        args = tuple(_safe_arg(a) for a in args)
    try:
        message = str(record.msg) % args if args else str(record.msg)
    except (TypeError, ValueError, KeyError):
        message = str(record.msg)
    out: dict[str, Any] = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "message": scrub(message),
    }
    for key, value in record.__dict__.items():
        if key not in STANDARD and not key.startswith("_"):
            out[key] = _safe_extra(key, value)
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info))
        out["exception"] = scrub(SQL_PARAMETERS.sub("[parameters: redacted] ", text))
    return out


class JsonFormatter(logging.Formatter):
    """One redacted JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(redact(record), default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Redacted, for a terminal: `time level logger: message key=value ...`."""

    def format(self, record: logging.LogRecord) -> str:
        data = redact(record)
        head = (f"{data.pop('time')} {data.pop('level'):7} {data.pop('logger')}: "
                f"{data.pop('message')}")
        exception = data.pop("exception", None)
        tail = " ".join(f"{k}={v}" for k, v in data.items())
        return "\n".join(p for p in (f"{head} {tail}".rstrip(), exception) if p)


def configure_logging(settings: Settings, stream: Any = None) -> logging.Handler:
    """Send every log record, uvicorn's included, through one redacting handler."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # The access log would carry client addresses and full paths: always off.
    logging.getLogger("uvicorn.access").disabled = True
    return handler
