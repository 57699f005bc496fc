"""The node's logs on standard error: ``--log-format text`` (default) or ``json`` (one object a line).

A JSON line holds ``ts`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``msg`` and the
record's structured fields (passed as ``extra={"fields": {...}}``) under ``fields``; an exception
adds ``exc``. The text format prints the same fields as ``key=value`` after the message.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

LOG_FORMATS = ("text", "json")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "fields": _fields(record),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """``2026-12-03T11:00:00.123+00:00 INFO rusty.node msg key=value ...``"""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        pairs = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        text = f"{ts} {record.levelname} {record.name} {record.getMessage()}" + (f" {pairs}" if pairs else "")
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure_logging(
    log_format: str, level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Write every log record to ``stream`` (standard error) in ``log_format``: the ``rusty.*``
    loggers from ``level`` on, the libraries' (asyncio, aiohttp) from WARNING on, so that with
    ``json`` every line is JSON. Replaces the handler an earlier call installed (and no other);
    returns the handler (tests remove it)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {LOG_FORMATS}")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonLineFormatter() if log_format == "json" else TextFormatter())
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, _OURS, False):
            root.removeHandler(existing)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    logging.getLogger("rusty").setLevel(level)
    return handler


_OURS = "_rusty_log_handler"
