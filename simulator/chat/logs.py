"""The server's logs (§7.10): the main log and the notifications log, as ``LogLine`` events.

Every line is published on the bus whatever its level (observers and tests see everything); the
configured ``LogSettings.FileLevel`` only decides what the log *file* would hold, which is what
``lines()`` returns and what an operator reading "System Console > Logs" would see.
"""

from __future__ import annotations

import json
import time
from collections import deque
from typing import Callable

from simulator.chat.models import LogLevel
from simulator.events import LogLine

NOTIFICATIONS = "notifications"  # the ``logger`` field of notifications-log lines
_L4G = {LogLevel.TRACE: "TRAC", LogLevel.DEBUG: "DEBG", LogLevel.INFO: "INFO", LogLevel.WARN: "WARN",
        LogLevel.ERROR: "EROR"}


class ServerLog:
    """A bounded in-memory log file that also publishes each line as it is written."""

    def __init__(self, *, name: str, clock: Callable[[], float], publish: Callable[[object], None],
                 level: Callable[[], LogLevel] = lambda: LogLevel.ERROR, capacity: int = 10_000) -> None:
        self.name, self._clock, self._publish, self._level = name, clock, publish, level
        self._lines: deque[LogLine] = deque(maxlen=capacity)

    def write(self, level: LogLevel | str, message: str, *, notifications: bool = False, **fields: object) -> LogLine:
        """Log one line (``notifications=True`` for the notifications log); returns it."""
        pairs = tuple((k, str(v)) for k, v in fields.items())
        if notifications:
            pairs = (("logger", NOTIFICATIONS), *pairs)
        line = LogLine(at=self._clock(), component=self.name, level=LogLevel(str(level).upper()).value,
                       message=message, fields=pairs)
        self._lines.append(line)
        self._publish(line)
        return line

    def lines(self, level: LogLevel | str | None = None) -> list[LogLine]:
        """The lines a file at ``level`` (default: the configured ``FileLevel``) would hold, oldest first."""
        floor = LogLevel(str(level).upper()) if level is not None else self._level()
        return [line for line in self._lines if LogLevel(line.level).rank >= floor.rank]

    def json_lines(self, level: LogLevel | str | None = None) -> list[str]:
        """The same lines in mlog's JSON format (what ``mattermost.log`` / ``notifications.log`` hold)."""
        return [to_json(line) for line in self.lines(level)]

    def console_lines(self, level: LogLevel | str | None = None) -> list[str]:
        """The same lines as the seed doc quotes them from "System Console > Logs" (l4g layout)."""
        return [to_console(line) for line in self.lines(level)]


def _stamp(at: float, layout: str) -> str:
    return time.strftime(layout, time.gmtime(at))


def to_json(line: LogLine) -> str:
    """``{"timestamp":"2026-01-01 00:00:00.000 Z","level":"debug","msg":…,<fields>}``."""
    stamp = f"{_stamp(line.at, '%Y-%m-%d %H:%M:%S')}.{int(line.at * 1000) % 1000:03d} Z"
    body: dict[str, str] = {"timestamp": stamp, "level": line.level.lower(), "msg": line.message}
    body.update(line.fields)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def to_console(line: LogLine) -> str:
    """``[2016/04/21 03:16:44 UTC] [DEBG] Sending push notification to … wi msg of '…'``."""
    extra = " ".join(f"{k}={v}" for k, v in line.fields if k != "logger")
    text = f"[{_stamp(line.at, '%Y/%m/%d %H:%M:%S')} UTC] [{_L4G[LogLevel(line.level)]}] {line.message}"
    return f"{text} {extra}" if extra else text
