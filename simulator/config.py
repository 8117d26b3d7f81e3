"""The world's settings: one frozen dataclass tree, loadable from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .chat.models import ContentsMode
from .proxy.config import Role


class ConfigError(ValueError):
    """A setting is missing, unknown or of the wrong type; the message names it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SimConfig:
    """Everything that shapes one world."""

    seed: int = 7
    contents: ContentsMode = ContentsMode.FULL
    role: Role = Role.HPNS
    proxy_tls: bool = True  # TPNS may be reached over plain HTTP (mattermost-push.md §9)
    licensed: bool = True
    server_version: str = "10.11.0"
    team_id: str = "PSIMTEAM01"  # Apple Team ID: 10 characters
    key_id: str = "PSIMKEY001"  # APNs auth key id: 10 characters
    ios_bundle_id: str = "com.mattermost.rn"
    ios_push_type: str = "apple_rn"
    android_package: str = "com.mattermost.rn"  # the Play Store package (EAS: your own)
    android_push_type: str = "android_rn"
    firebase_project_id: str = "mattermost-rn"  # the Firebase project the Android build registers with
    enable_metrics: bool = False  # the proxies' EnableMetrics: GET /metrics (mattermost-push.md §6)

    @classmethod
    def from_toml(cls, path: Path) -> SimConfig:
        """Load ``[world]`` keys from a TOML file; unknown keys and bad types are refused by name."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        return cls.from_mapping(data.get("world", {}), where=f"{path}: [world]")

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, where: str = "config") -> SimConfig:
        """Build from plain values, converting enums; errors name the offending key."""
        known = {f.name: f for f in fields(cls)}
        config = cls()
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(known))})")
            config = replace(config, **{key: _convert(key, value, getattr(config, key), where)})
        return config


def _convert(key: str, value: Any, default: Any, where: str) -> Any:
    kind = type(default)
    if isinstance(default, (ContentsMode, Role)):
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(m.value for m in kind)  # type: ignore[attr-defined]
            raise ConfigError(f"{where}: {key} = {value!r} is not one of {allowed}") from None
    if kind is bool and not isinstance(value, bool) or kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{where}: {key} must be {kind.__name__}, got {value!r}")
    if kind is str and not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string, got {value!r}")
    return value
