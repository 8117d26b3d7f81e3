"""simulator.recording: events ⇄ JSON lines by class name, and the Recorder that writes a bus."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest

from fake_apns import PushRejected
from fake_devices import NotificationShown
from simulator import FakeClock, HopAttempted, Simulator
from simulator.bus import EventBus
from simulator.events import ComponentStarted, Correlation, LogLine, Protocol
from simulator.recording import CodecError, EventCodec, Recorder, default_codec
from simulator.story import cast_dm_world, send_dm


async def test_every_event_of_a_real_run_survives_the_round_trip() -> None:
    async with Simulator(clock=FakeClock()) as sim:
        cast = await cast_dm_world(sim)
        await cast.phone.uninstall()  # one rejected push as well as accepted ones
        await send_dm(sim, cast, "to nobody")
        await sim.settle()
        events = [e for _, e in sim.bus.history]
    codec = default_codec()
    lines = [codec.dumps(e, seq=i) for i, e in enumerate(events)]
    decoded = [codec.loads(line) for line in lines]
    assert decoded == events
    kinds = {type(e) for e in decoded}
    assert {HopAttempted, ComponentStarted, LogLine, PushRejected} <= kinds
    hop = next(e for e in decoded if isinstance(e, HopAttempted))
    assert isinstance(hop.protocol, Protocol) and isinstance(hop.ids, Correlation) and isinstance(hop.wire, tuple)


def test_a_line_is_flat_json_with_the_envelope_first() -> None:
    event = LogLine(at=1.5, component="chat", level="DEBUG", message="hi", fields=(("a", "1"),))
    line = default_codec().dumps(event, scenario="s", seq=3)
    assert json.loads(line) == {"scenario": "s", "seq": 3, "event": "LogLine", "module": "simulator.events",
                                "data": {"at": 1.5, "component": "chat", "level": "DEBUG", "message": "hi",
                                         "fields": [["a", "1"]]}}
    assert line.startswith('{"scenario":"s","seq":3,"event":"LogLine"')


@pytest.mark.parametrize(("line", "error"), [
    ('{"event": "Teleported", "data": {}}', "unknown event 'Teleported' (known: "),
    ('{"event": "Teleported", "module": "simulator.events", "data": {}}', "unknown event 'Teleported' (known: "),
    ('{"event": "path", "module": "os", "data": {}}', "unknown event 'path' (known: "),
    ("not json", "not a JSON line: "),
    ("[1, 2]", "not a JSON object: "),
    ('{"event": "LogLine", "data": {"at": 1}}', "LogLine: "),
    ('{"event": "LogLine", "data": []}', "LogLine: expected an object, got []"),
])
def test_undecodable_lines_are_refused_by_name(line: str, error: str) -> None:
    with pytest.raises(CodecError) as info:
        default_codec().loads(line)
    assert str(info.value).startswith(error)


def test_anything_encodes_and_a_taken_name_is_qualified() -> None:
    @dataclass(frozen=True)
    class LogLine:  # same name as simulator.events.LogLine
        at: float

    codec = EventCodec([__import__("simulator").LogLine, LogLine])
    assert codec.encode(LogLine(at=1.0))["event"] == f"{__name__}.{LogLine.__qualname__}"
    assert codec.decode(codec.encode(LogLine(at=1.0))) == LogLine(at=1.0)
    assert codec.encode(object())["data"]["repr"].startswith("<object object")


def test_recorder_writes_history_then_everything_published_later() -> None:
    bus, out = EventBus(), io.StringIO()
    bus.publish(ComponentStarted(at=0.0, name="chat", url="https://127.0.0.1:1"))
    with Recorder(bus, out, envelope={"scenario": "x"}) as recorder:
        bus.publish(LogLine(at=1.0, component="chat", level="INFO", message="one"))
        assert recorder.flush() == 2
        bus.publish(LogLine(at=2.0, component="chat", level="INFO", message="two"))
    bus.publish(LogLine(at=3.0, component="chat", level="INFO", message="after close"))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["seq"], r["event"], r["scenario"]) for r in records] == [
        (0, "ComponentStarted", "x"), (1, "LogLine", "x"), (2, "LogLine", "x")]
    assert recorder.written == 3 and recorder.dropped == 0
    assert list(default_codec().read(out.getvalue().splitlines() + [""]))[2] == LogLine(
        at=2.0, component="chat", level="INFO", message="two")


def test_a_recorder_whose_queue_overflows_says_how_many_it_lost() -> None:
    bus, out = EventBus(), io.StringIO()
    recorder = Recorder(bus, out, maxsize=2)
    for i in range(5):
        bus.publish(LogLine(at=float(i), component="chat", level="INFO", message=str(i)))
    recorder.close()
    assert (recorder.written, recorder.dropped) == (2, 3)


def test_a_class_the_codec_has_not_met_is_found_through_its_module() -> None:
    codec = EventCodec()
    event = LogLine(at=1.0, component="proxy", level="WARN", message="m")
    assert codec.loads(default_codec().dumps(event)) == event
    assert codec.names == ()  # found through the module, not registered by name


def test_default_codec_knows_the_world_events() -> None:
    names = set(default_codec().names)
    assert {"HopAttempted", "LogLine", "PushDecision", "PushAccepted", "PushRejected", "NotificationShown",
            "AppStateChanged"} <= names
    assert NotificationShown.__name__ in names
