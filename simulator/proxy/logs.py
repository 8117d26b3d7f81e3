"""The proxy's log (§3.4): LogLine facts on the bus, rendered in mlog's plain or JSON layout.

Rule 1: ``msg`` strings are the real proxy's, byte for byte; what varies goes in fields.
Rule 2: a device token never appears whole: ``redact`` keeps its first 16 characters + "…".
Rule 3: publishing never raises; a sink (console, file) that fails is dropped with a warning.
The timestamps are the world clock's, so a FakeClock run logs the same lines every time.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from typing import Callable, Final, TextIO

from ..events import LogLine
from .config import ProxyConfig

log = logging.getLogger(__name__)

Sink = Callable[[LogLine], None]
FieldValue = str | int | bool

REDACT_KEEP: Final = 16
# Fields mlog writes as JSON numbers (mlog.Int); everything else is a string.
_INT_FIELDS: Final = frozenset({"retry", "code"})
_LEVELS: Final = {"DEBUG": "debug", "INFO": "info", "WARN": "warn", "ERROR": "error"}


def redact(token: str) -> str:
    """The proxy's ``redactToken``: first 16 characters and an ellipsis."""
    return token if len(token) <= REDACT_KEEP else token[:REDACT_KEEP] + "…"


def _stamp(at: float) -> str:
    moment = datetime.fromtimestamp(at, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} Z"


def _plain_value(value: str) -> str:
    # logr's plain encoder quotes values that would not survive a split on spaces.
    if value == "" or any(c in value for c in ' ="\n\t'):
        return json.dumps(value, ensure_ascii=False)
    return value


def format_plain(line: LogLine) -> str:
    """``info  [2026-01-01 00:00:00.000 Z] Sending apple push notification device=apple_rn …``."""
    level = _LEVELS.get(line.level, line.level.lower())
    text = f"{level:<5} [{_stamp(line.at)}] {line.message}"
    if line.fields:
        text += " " + " ".join(f"{k}={_plain_value(v)}" for k, v in line.fields)
    return text


def format_json(line: LogLine) -> str:
    """``{"timestamp":"…","level":"info","msg":"…", <fields>}`` on one line."""
    record: dict[str, object] = {"timestamp": _stamp(line.at), "level": _LEVELS.get(line.level, line.level.lower()),
                                 "msg": line.message}
    for key, value in line.fields:
        record[key] = int(value) if key in _INT_FIELDS and value.lstrip("-").isdigit() else value
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


FORMATTERS: Final[dict[str, Callable[[LogLine], str]]] = {"plain": format_plain, "json": format_json}


class ProxyLog:
    """Publishes the proxy's log lines as LogLine events and hands them to its sinks."""

    def __init__(self, *, component: str, clock: Callable[[], float], publish: Callable[[object], None],
                 sinks: list[Sink] | None = None) -> None:
        self.component, self._clock, self._publish = component, clock, publish
        self.sinks: list[Sink] = sinks or []

    def _emit(self, level: str, message: str, fields: dict[str, FieldValue]) -> None:
        pairs = tuple([(k, v if type(v) is str else _text(v)) for k, v in fields.items()])
        line = LogLine(at=self._clock(), component=self.component, level=level, message=message, fields=pairs)
        self._publish(line)
        if not self.sinks:  # nothing formats the line: the bus event is the whole log
            return
        for sink in list(self.sinks):
            try:
                sink(line)
            except (OSError, ValueError) as exc:  # a closed stream or full disk must not stop the proxy
                log.warning("%s: log sink failed, dropping it: %s", self.component, exc)
                self.sinks.remove(sink)

    def debug(self, message: str, **fields: FieldValue) -> None:
        """A DEBUG line."""
        self._emit("DEBUG", message, fields)

    def info(self, message: str, **fields: FieldValue) -> None:
        """An INFO line."""
        self._emit("INFO", message, fields)

    def warn(self, message: str, **fields: FieldValue) -> None:
        """A WARN line."""
        self._emit("WARN", message, fields)

    def error(self, message: str, **fields: FieldValue) -> None:
        """An ERROR line."""
        self._emit("ERROR", message, fields)


def _text(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class LogWriter:
    """Writes formatted lines to a console stream and/or the log file, as the config says (§3.1, §3.4)."""

    def __init__(self, config: ProxyConfig, *, console: TextIO | None = None) -> None:
        self._format = FORMATTERS[config.effective_log_format]
        self._console = console if config.effective_console_log else None
        self._file: TextIO | None = None
        if config.enable_file_log:
            self._file = _open_log_file(config.effective_log_file)

    @property
    def path(self) -> str | None:
        """The log file's path, when file logging is on."""
        return self._file.name if self._file is not None else None

    def __call__(self, line: LogLine) -> None:
        text = self._format(line) + "\n"
        if self._console is not None:
            self._console.write(text)
        if self._file is not None:
            self._file.write(text)
            self._file.flush()

    def close(self) -> None:
        """Close the log file."""
        if self._file is not None:
            self._file.close()
            self._file = None


def _open_log_file(path: str) -> TextIO:
    # The real proxy falls back to ./push_proxy.log when ./logs cannot be made.
    directory = os.path.dirname(path)
    try:
        if directory:
            os.makedirs(directory, exist_ok=True)
        return open(path, "a", encoding="utf-8")
    except OSError:
        if path != "./logs/push_proxy.log":
            raise
        return open("./push_proxy.log", "a", encoding="utf-8")
