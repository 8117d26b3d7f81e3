"""Events as JSON lines and back (moto's recorder, for our bus): a codec keyed by class name and a
``Recorder`` that writes every event a bus publishes.

Rule 1: encoding never fails. A dataclass event becomes ``{"event": <name>, "data": {field: value}}``
with enums as their values and nested dataclasses as objects; anything else is kept as its ``repr``.
Rule 2: decoding is typed. Field values are rebuilt from the event class's annotations (enums,
nested dataclasses, tuples), so ``decode(encode(e)) == e`` for every event the world publishes.
Each line also carries the class's module, so a class the codec has not met yet is found there
(only inside the world's own packages); a line naming no known class is refused (``CodecError``).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from enum import Enum
from typing import Any, TextIO

from .bus import EventBus

# The world's packages: a dataclass with an ``at`` field defined in one of their modules is an event.
WORLD_PACKAGES = ("simulator", "fake_apns", "fake_devices", "fake_fcm", "scenarios")
# Imported before scanning so a fresh process knows the common events (some may not exist yet).
EVENT_MODULES = ("simulator.events", "simulator.chat.models", "fake_apns", "fake_devices", "fake_fcm",
                 "fake_devices.events", "fake_fcm.events")


class CodecError(ValueError):
    """A line cannot be decoded; the message names the line's event and the problem."""


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return repr(value)


def _typed(value: Any, hint: Any) -> Any:
    """Rebuild ``value`` (plain JSON) as the annotated type ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or value is None:
        return value
    if origin in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        return _typed(value, kinds[0]) if len(kinds) == 1 else value
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_typed(v, args[0]) for v in value)
        return tuple(_typed(v, a) for v, a in zip(value, args)) if args else tuple(value)
    if origin in (frozenset, set):
        return origin(_typed(v, args[0]) if args else v for v in value)
    if origin in (list,):
        return [_typed(v, args[0]) if args else v for v in value]
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value  # str, int, bool, dict[str, Any], Mapping[str, str]


def _build(cls: type, data: Any) -> Any:
    if not isinstance(data, dict):
        raise CodecError(f"{cls.__name__}: expected an object, got {data!r}")
    hints = typing.get_type_hints(cls)
    kwargs = {f.name: _typed(data[f.name], hints.get(f.name, Any))
              for f in dataclasses.fields(cls) if f.init and f.name in data}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise CodecError(f"{cls.__name__}: {exc}") from exc


class EventCodec:
    """Encodes any event; decodes the event classes it knows, by class name."""

    def __init__(self, classes: Iterable[type] = ()) -> None:
        self._by_name: dict[str, type] = {}
        self._names: dict[type, str] = {}
        for cls in classes:
            self.register(cls)

    def register(self, cls: type) -> str:
        """Know ``cls``; returns its key (the class name, or ``module.Name`` if the name is taken)."""
        if cls in self._names:
            return self._names[cls]
        name = cls.__name__ if cls.__name__ not in self._by_name else f"{cls.__module__}.{cls.__qualname__}"
        self._by_name[name], self._names[cls] = cls, name
        return name

    @property
    def names(self) -> tuple[str, ...]:
        """Every event name this codec can decode."""
        return tuple(self._by_name)

    def encode(self, event: object) -> dict[str, Any]:
        """``{"event": name, "module": where it is defined, "data": {...}}`` for any object."""
        kind = type(event)
        name = self._names.get(kind, kind.__name__)
        if dataclasses.is_dataclass(event) and not isinstance(event, type):
            return {"event": name, "module": kind.__module__, "data": _plain(event)}
        return {"event": name, "module": kind.__module__, "data": {"repr": repr(event)}}

    def decode(self, record: Mapping[str, Any]) -> object:
        """The event a record (from ``encode`` or a JSON line) describes."""
        name, module = record.get("event"), record.get("module")
        cls = self._by_name.get(name) if isinstance(name, str) else None
        if isinstance(name, str) and isinstance(module, str) and (cls is None or cls.__module__ != module):
            cls = _import_event(module, name.rsplit(".", 1)[-1]) or cls
        if cls is None:
            raise CodecError(f"unknown event {name!r} (known: {', '.join(sorted(self._by_name))})")
        return _build(cls, record.get("data"))

    def dumps(self, event: object, **envelope: Any) -> str:
        """One JSON line: ``envelope`` keys (e.g. ``seq``, ``scenario``) then the event."""
        return json.dumps({**envelope, **self.encode(event)}, ensure_ascii=False, separators=(",", ":"))

    def loads(self, line: str) -> object:
        """The event on one JSON line."""
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise CodecError(f"not a JSON line: {exc}") from None
        if not isinstance(record, dict):
            raise CodecError(f"not a JSON object: {line[:60]!r}")
        return self.decode(record)

    def read(self, lines: Iterable[str]) -> Iterator[object]:
        """Every event of a JSON-lines file (blank lines skipped)."""
        for line in lines:
            if line.strip():
                yield self.loads(line)


def _is_event(obj: object, module: str) -> bool:
    return (isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == module
            and "at" in {f.name for f in dataclasses.fields(obj)})


def _in_world(module: str) -> bool:
    return module.split(".", 1)[0] in WORLD_PACKAGES


def _import_event(module: str, name: str) -> type | None:
    """The event class ``name`` of ``module``; never imports anything outside the world's packages."""
    if not _in_world(module):
        return None
    try:
        obj = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return obj if _is_event(obj, module) else None


def default_codec() -> EventCodec:
    """A codec that knows every event class of the world's packages loaded in this process."""
    for name in EVENT_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a component that has not landed yet publishes nothing
    loaded = sorted(name for name in tuple(sys.modules) if _in_world(name))
    return EventCodec(obj for name in loaded for obj in vars(sys.modules[name]).values() if _is_event(obj, name))


class Recorder:
    """Writes every event ``bus`` publishes to ``out`` as JSON lines (flushed on ``flush``/exit).

    Events already in the bus history from sequence ``since`` on (default: all it still holds) are
    written first, so a recorder attached after start-up still has ``ComponentStarted``. Its
    subscription queue is large enough for a whole run; ``dropped`` says if it ever overflowed.
    """

    def __init__(self, bus: EventBus, out: TextIO, *, codec: EventCodec | None = None,
                 envelope: Mapping[str, Any] | None = None, since: int = 0, maxsize: int = 1_000_000) -> None:
        self._out, self._codec = out, codec or default_codec()
        self._envelope = dict(envelope or {})
        # No await between copying the history and subscribing: no event can fall in the gap.
        self._backlog = [(seq, event) for seq, event in bus.history if seq >= since]
        self._sub = bus.subscribe(maxsize=maxsize)
        self._seq = bus.mark()
        self.written = 0

    @property
    def dropped(self) -> int:
        """Events lost to a full queue (0 unless a run publishes more than ``maxsize`` unflushed)."""
        return self._sub.dropped

    def _write(self, seq: int, event: object) -> None:
        self._out.write(self._codec.dumps(event, **self._envelope, seq=seq) + "\n")
        self.written += 1

    def flush(self) -> int:
        """Write every event not yet written; returns how many."""
        before = self.written
        for seq, event in self._backlog:
            self._write(seq, event)
        self._backlog = []
        while (event := self._sub.get_nowait()) is not None:
            self._write(self._seq, event)
            self._seq += 1
        return self.written - before

    def close(self) -> None:
        """Write what is queued and stop listening."""
        self.flush()
        self._sub.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
