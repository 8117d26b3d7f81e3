"""TOML scenario files → ``Scenario``, or one ``ScenarioError`` line naming file, place and field.

File layout (every table but ``[scenario]`` and ``[[steps]]`` is optional)::

    [scenario]   name, description (one line, required), doc (where in the seed doc)
    [world]      SimConfig keys: seed, role, contents, licensed, proxy_tls, ...
    [[users]]    username, password, first_name, last_name, notify_props = {push = "mention"}
    [[phones]]   name, model, os_version, platform ("ios" | "android"; default: the model's)
    [[channels]] name, display_name, private, members = ["accounta", ...]
    [[steps]]    do = "<action>" | expect = "<expectation>", then that kind's fields

An EAS world sets its own app's ids in ``[world]`` (role = "EAS", ios_bundle_id, ios_push_type,
team_id, key_id, android_package, android_push_type, firebase_project_id); ``install`` with
``app = "eas"`` then puts that build on a phone. ``pushsim scenarios --kinds`` lists every step kind.
Steps are numbered from 1 in error lines and reports, as a trainer counts them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fake_devices import DEVICES
from simulator.config import ConfigError, SimConfig

from . import actions as _actions  # noqa: F401  (registers the action kinds)
from . import controls as _controls  # noqa: F401  (registers settings, fault and clock actions)
from . import delivery as _delivery  # noqa: F401  (registers the tray and store-and-forward expectations)
from . import devices as _devices  # noqa: F401  (registers the phone condition actions)
from . import expectations as _expectations  # noqa: F401  (registers the expectation kinds)
from . import telemetry as _telemetry  # noqa: F401  (registers log and metric expectations)
from .model import DEFAULT_CHANNELS, DEFAULT_PASSWORD, ChannelSpec, PhoneSpec, Scenario, ScenarioError, Step, UserSpec
from .steps import ACTIONS, EXPECTATIONS, UNAVAILABLE, CastIndex, Fields

_TOP = ("scenario", "world", "users", "phones", "channels", "steps")
DEFAULT_MODELS = {"ios": "iPhone 6s Plus", "android": "Pixel 7"}  # the doc's iPhone; a current Android


def load(path: str | Path) -> Scenario:
    """Read and check one scenario file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), "", f"cannot read the file: {exc}") from None
    return loads(text, path)


def loads(text: str, path: Path) -> Scenario:
    """Check scenario ``text`` (``path`` is named in errors and kept on the scenario)."""
    file = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(file, "", f"not valid TOML: {exc}") from None
    for key in data:
        if key not in _TOP:
            raise ScenarioError(file, "", f"unknown table (known: {', '.join(_TOP)})", field_name=key)
    head = Fields(_table(data, "scenario", file, required=True), file=file, where="[scenario]", cast=CastIndex())
    name, description, doc = head.text("name", path.stem), head.text("description"), head.text("doc", "")
    if not description.strip() or "\n" in description:
        raise head.error("description", "must be one non-empty line")
    head.finish()
    world = _world(_table(data, "world", file), file)
    users = tuple(_user(f) for f in _rows(data, "users", file))
    phones = tuple(_phone(f) for f in _rows(data, "phones", file))
    cast = CastIndex(users=_unique(users, "users", "username", file), phones=_unique(phones, "phones", "name", file),
                     world=world, platforms={p.name: p.platform for p in phones})
    channels = tuple(_channel(f, cast) for f in _rows(data, "channels", file, cast))
    cast.channels = cast.channels | _unique(channels, "channels", "name", file)
    steps = tuple(_step(i, table, file, cast) for i, table in enumerate(_list(data, "steps", file), start=1))
    if not steps:
        raise ScenarioError(file, "[[steps]]", "a scenario needs at least one step")
    if not any(s.expectation for s in steps):
        raise ScenarioError(file, "[[steps]]", "no step is an expectation, so nothing would be checked")
    return Scenario(path=path, name=name, description=description.strip(), world=world, doc=doc, users=users,
                    phones=phones, channels=channels, steps=steps)


def _table(data: dict[str, Any], key: str, file: str, *, required: bool = False) -> dict[str, Any]:
    value = data.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ScenarioError(file, f"[{key}]", "missing (required)" if value is None else "must be a table")
    return value


def _list(data: dict[str, Any], key: str, file: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ScenarioError(file, f"[[{key}]]", "must be an array of tables (write [[" + key + "]])")
    return value


def _rows(data: dict[str, Any], key: str, file: str, cast: CastIndex | None = None) -> Iterable[Fields]:
    for i, row in enumerate(_list(data, key, file), start=1):
        yield Fields(row, file=file, where=f"{key}[{i}]", cast=cast or CastIndex())


def _world(table: dict[str, Any], file: str) -> SimConfig:
    try:
        return SimConfig.from_mapping(table, where="[world]")
    except ConfigError as exc:
        raise ScenarioError(file, "", str(exc)) from None


def _user(f: Fields) -> UserSpec:
    spec = UserSpec(username=f.text("username"), password=f.text("password", DEFAULT_PASSWORD),
                    first_name=f.text("first_name", ""), last_name=f.text("last_name", ""),
                    notify_props=f.strings("notify_props", {}))
    f.finish()
    return spec


def _phone(f: Fields) -> PhoneSpec:
    name, model, platform = f.text("name"), f.text("model", None), f.text("platform", None)
    if platform is not None and platform not in DEFAULT_MODELS:
        raise f.error("platform", f"{platform!r} is not one of {', '.join(DEFAULT_MODELS)}")
    known = DEVICES.get(model) if model else None
    if known is not None and platform is not None and known.platform.value != platform:
        raise f.error("platform", f"{model!r} is an {known.platform.value} phone, not {platform}")
    platform = platform or (known.platform.value if known else "ios")
    spec = PhoneSpec(name=name, model=model or DEFAULT_MODELS[platform], os_version=f.text("os_version", ""),
                     platform=platform)
    f.finish()
    return spec


def _channel(f: Fields, cast: CastIndex) -> ChannelSpec:
    name = f.text("name")
    if name in DEFAULT_CHANNELS:
        raise f.error("name", f"{name!r} exists in every team already; use it in steps without declaring it")
    members = f.text_list("members", [])
    for member in members:
        if member not in cast.users:
            raise f.error("members", f"no user {member!r} in the cast (known: {', '.join(sorted(cast.users)) or 'none'})")
    spec = ChannelSpec(name=name, display_name=f.text("display_name", name.replace("-", " ").title()),
                       private=f.flag("private", False), members=tuple(members))
    f.finish()
    return spec


def _unique(specs: tuple[Any, ...], key: str, attr: str, file: str) -> frozenset[str]:
    seen: list[str] = []
    for i, spec in enumerate(specs, start=1):
        value = getattr(spec, attr)
        if value in seen:
            raise ScenarioError(file, f"{key}[{i}]", f"{value!r} is declared twice", field_name=attr)
        seen.append(value)
    return frozenset(seen)


def _step(index: int, table: dict[str, Any], file: str, cast: CastIndex) -> Step:
    where = f"step {index}"
    has_do, has_expect = "do" in table, "expect" in table
    if has_do == has_expect:
        raise ScenarioError(file, where, "needs exactly one of 'do' (an action) or 'expect' (an expectation)")
    key = "do" if has_do else "expect"
    kind = table[key]
    if not isinstance(kind, str):
        raise ScenarioError(file, where, f"must be a string, got {kind!r}", field_name=key)
    where = f"step {index} ({kind})"
    registry, other = (ACTIONS, EXPECTATIONS) if has_do else (EXPECTATIONS, ACTIONS)
    if kind not in registry:
        raise ScenarioError(file, where, _unknown_kind(kind, key, registry, other), field_name=key)
    fields = Fields(table, file=file, where=where, cast=cast, consumed=(key,))
    handler = registry[kind].parse(fields)
    fields.finish()
    return Step(index=index, kind=kind, expectation=has_expect, handler=handler)


def _unknown_kind(kind: str, key: str, registry: dict[str, Any], other: dict[str, Any]) -> str:
    if kind in UNAVAILABLE:
        return f"{kind!r} cannot run in this world yet: {UNAVAILABLE[kind]}"
    what = "action" if key == "do" else "expectation"
    if kind in other:
        hint = "expect" if key == "do" else "do"
        return f"{kind!r} is not an {what}; write {hint} = {kind!r}"
    return f"unknown {what} {kind!r} (known: {', '.join(sorted(registry))})"


def library_paths(library: Path) -> list[Path]:
    """The library's scenario files, in name order."""
    return sorted(library.glob("*.toml"))
