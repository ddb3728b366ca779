"""Structured logs: one JSON object per line, so events can be counted and filtered.

Bot events carry their fields (update id, outcome, latency); records from libraries keep their
message. Nothing a resident typed is logged unless the operator asks for it.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

events = logging.getLogger("faqbot.events")


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with its fields; fields that are None are left out."""
    kept = {key: value for key, value in fields.items() if value is not None}
    events.log(level, event, extra={"event_fields": kept})


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with `secrets` blanked out wherever they appear.

    Errors of the `expected_errors` types are logged without their traceback: they are
    configuration problems (a revoked token), and the bot prints what to do about them.
    """

    def __init__(
        self,
        secrets: Sequence[str] = (),
        expected_errors: tuple[type[BaseException], ...] = (),
    ):
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]
        self.expected_errors = expected_errors

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "event_fields", None)
        if fields is not None:
            line["event"] = record.getMessage()
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["error"] = repr(record.exc_info[1])
            if not isinstance(record.exc_info[1], self.expected_errors):
                line["traceback"] = self.formatException(record.exc_info)
        text = json.dumps(line, ensure_ascii=False, default=str)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


def configure_logging(
    level: int = logging.INFO,
    secrets: Sequence[str] = (),
    expected_errors: tuple[type[BaseException], ...] = (),
) -> None:
    """JSON lines on stderr for the bot and the libraries it uses, with `secrets` blanked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets, expected_errors))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot's token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # PTB's application logs each start/stop step at INFO; its warnings and errors still show.
    logging.getLogger("telegram.ext.Application").setLevel(logging.WARNING)
