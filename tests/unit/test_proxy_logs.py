"""The proxy's log lines (§3.4): LogLine facts, mlog plain / JSON layouts, token redaction, sinks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from simulator.bus import EventBus
from simulator.clock import FakeClock
from simulator.events import LogLine
from simulator.proxy import LogWriter, ProxyConfig, ProxyLog, format_json, format_plain, redact

LINE = LogLine(at=1_767_225_600.25, component="proxy", level="INFO", message="Sending apple push notification",
               fields=(("device", "apple_rn"), ("type", "message"), ("ack_id", "8xk3")))


def test_redact_keeps_sixteen_characters() -> None:
    token = "c1749efbcf2a3516c0ffee" * 3
    assert redact(token) == "c1749efbcf2a3516…"
    assert redact("short") == "short"
    assert redact("x" * 16) == "x" * 16


def test_plain_layout() -> None:
    assert format_plain(LINE) == ("info  [2026-01-01 00:00:00.250 Z] Sending apple push notification "
                                  "device=apple_rn type=message ack_id=8xk3")


def test_plain_quotes_values_with_spaces_and_empty_values() -> None:
    line = LogLine(at=0, component="p", level="ERROR", message="Failed to send apple push",
                   fields=(("err", "unknown transport error"), ("sid", "")))
    assert format_plain(line) == ('error [1970-01-01 00:00:00.000 Z] Failed to send apple push '
                                  'err="unknown transport error" sid=""')


def test_json_layout_with_numbers_where_mlog_writes_numbers() -> None:
    line = LogLine(at=LINE.at, component="proxy", level="WARN", message="Failed to send apple push with res",
                   fields=(("ApnsID", "X"), ("code", "410"), ("retry", "1"), ("reason", "Unregistered")))
    assert json.loads(format_json(line)) == {"timestamp": "2026-01-01 00:00:00.250 Z", "level": "warn",
                                             "msg": "Failed to send apple push with res", "ApnsID": "X",
                                             "code": 410, "retry": 1, "reason": "Unregistered"}
    assert format_json(LINE).startswith('{"timestamp":"2026-01-01 00:00:00.250 Z","level":"info","msg":"Sending')


def test_proxy_log_publishes_log_lines_on_the_world_clock(clock: FakeClock) -> None:
    bus = EventBus()
    log = ProxyLog(component="hpns", clock=clock, publish=bus.publish)
    log.error("Failed to send apple push", did="tok", retry=2, ok=True)
    (line,) = bus.find(LogLine)
    assert line == LogLine(at=clock(), component="hpns", level="ERROR", message="Failed to send apple push",
                           fields=(("did", "tok"), ("retry", "2"), ("ok", "true")))


def test_a_failing_sink_is_dropped_and_publishing_goes_on(clock: FakeClock) -> None:
    bus, seen = EventBus(), list[LogLine]()

    def broken(_: LogLine) -> None:
        raise OSError("disk full")

    log = ProxyLog(component="p", clock=clock, publish=bus.publish, sinks=[broken, seen.append])
    log.info("one")
    log.info("two")
    assert [line.message for line in seen] == ["one", "two"]
    assert log.sinks == [seen.append] and len(bus.find(LogLine)) == 2


def test_writer_renders_to_the_console_in_the_configured_format() -> None:
    console = io.StringIO()
    LogWriter(ProxyConfig(log_format="json"), console=console)(LINE)
    assert json.loads(console.getvalue())["msg"] == "Sending apple push notification"
    console = io.StringIO()
    LogWriter(ProxyConfig(log_format="xml"), console=console)(LINE)
    assert console.getvalue() == format_plain(LINE) + "\n"


def test_writer_appends_to_the_log_file_and_creates_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "proxy.log"
    writer = LogWriter(ProxyConfig(enable_file_log=True, enable_console_log=False, log_file_location=str(path)),
                       console=io.StringIO())
    writer(LINE)
    writer.close()
    assert writer.path is None
    assert path.read_text() == format_plain(LINE) + "\n"


def test_writer_refuses_an_unwritable_log_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError):
        LogWriter(ProxyConfig(enable_file_log=True, log_file_location=str(blocker / "x.log")))
