"""Logging for the process: our level on `bot.*`, libraries kept quiet, secrets redacted everywhere."""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"
# (pattern, replacement); each keeps just enough around the secret to say what was there.
SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), f"xox*-{REDACTED}"),  # Slack bot and user tokens
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), f"xapp-{REDACTED}"),  # Slack app-level token (Socket Mode)
    (re.compile(r"\b[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{20,}"), REDACTED),  # Discord bot token
    (re.compile(r"\b(Bot|Bearer)\s+[^\s'\",}]+"), rf"\1 {REDACTED}"),  # Authorization header values
    # Interaction tokens in webhook and callback URLs: whoever has one can answer as the bot for 15 minutes.
    (re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/?\s'\"]+"), rf"\1{REDACTED}"),
    (re.compile(r"""(["']?\b\w*token["']?\s*[:=]\s*["']?)[^\s"',}&]+""", re.IGNORECASE), rf"\1{REDACTED}"),
    (re.compile(r"(\bpostgres(?:ql)?://[^:/@\s]*:)[^@\s]+@"), rf"\1{REDACTED}@"),  # a database URL's password
    (re.compile(r"""(\bpassword\s*=\s*)[^\s&'"]+""", re.IGNORECASE), rf"\1{REDACTED}"),  # libpq's password=…
)


def redact(text: str) -> str:
    """The text with every token and secret URL part we know of replaced."""
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record's message, traceback and stack so that no token reaches a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drops a record."""
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# discord.py logs every gateway event whole at DEBUG (discord/gateway.py, `received_message`).
GATEWAY_EVENT = "For Shard ID %s: WebSocket Event: %s"
GATEWAY_KEPT = ("op", "t", "s")


class GatewayEventNames(logging.Filter):
    """Gateway events are logged by name and sequence only, never with their payload.

    A payload says who did what: members' messages, their votes, and who asked an anonymous
    question (an INTERACTION_CREATE names its invoker), which must stay unknown even at DEBUG.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Shorten discord.py's event record in place; never drops a record."""
        args = record.args
        if record.msg != GATEWAY_EVENT:  # the format string itself is what marks these records
            return True
        if isinstance(args, tuple) and len(args) == 2 and isinstance(args[1], dict):
            record.args = (args[0], {key: args[1][key] for key in GATEWAY_KEPT if key in args[1]})
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (tests and tools swap it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        """The current standard error."""
        return sys.stderr


def configure_logging(level: str, library_level: str = "warning", stream: TextIO | None = None) -> logging.Handler:
    """One redacting handler on the root logger; `level` for `bot.*`, `library_level` for everything else."""
    root = logging.getLogger()
    for old in [handler for handler in root.handlers if getattr(handler, "phosphore", False)]:
        root.removeHandler(old)  # `main` may run more than once in a process (tests)
    handler: logging.Handler = StderrHandler() if stream is None else logging.StreamHandler(stream)
    handler.phosphore = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(GatewayEventNames())  # before redaction, which turns the record into plain text
    handler.addFilter(RedactSecrets())
    root.addHandler(handler)
    # Library loggers inherit the root's level: their DEBUG output carries message contents
    # (who voted what) and request payloads, so it stays off unless asked for on its own.
    root.setLevel(library_level.upper())
    logging.getLogger("bot").setLevel(level.upper())
    return handler
