"""Reading ``mattermost-push-proxy.json`` as the Go proxy does (§3): ``json.Unmarshal`` into
``server.ConfigPushProxy``.

Rule 1: keys match case-insensitively (an exact match wins), unknown keys are ignored, ``null``
leaves the zero value, and a value of the wrong JSON type is an error with Go's own text, which
names the field: ``json: cannot unmarshal string into Go struct field
ConfigPushProxy.ThrottlePerSec of type int``.
Rule 2: absent or zero keys get the code defaults of §3.1 (via ProxyConfig's properties), not the
sample file's values: a file without ``ThrottlePerSec`` throttles at 1 request/s, as Go does.
No network; the only I/O is reading the one file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from os import PathLike, fspath
from typing import Any, Final

from .config import AndroidPushSettings, ApplePushSettings, ProxyConfig
from .errors import ProxyConfigError

# Go field name -> (ProxyConfig attribute, Go type)
_TOP: Final[Mapping[str, tuple[str, str]]] = {
    "ListenAddress": ("listen_address", "string"),
    "ThrottlePerSec": ("throttle_per_sec", "int"),
    "ThrottleMemoryStoreSize": ("throttle_memory_store_size", "int"),
    "ThrottleVaryByHeader": ("throttle_vary_by_header", "string"),
    "EnableMetrics": ("enable_metrics", "bool"),
    "SendTimeoutSec": ("send_timeout_sec", "int"),
    "RetryTimeoutSec": ("retry_timeout_sec", "int"),
    "ApplePushSettings": ("apple_push_settings", "[]server.ApplePushSettings"),
    "AndroidPushSettings": ("android_push_settings", "[]server.AndroidPushSettings"),
    "EnableConsoleLog": ("enable_console_log", "bool"),
    "EnableFileLog": ("enable_file_log", "bool"),
    "LogFileLocation": ("log_file_location", "string"),
    "LogFormat": ("log_format", "string"),
}
_APPLE: Final[Mapping[str, tuple[str, str]]] = {
    "Type": ("type", "string"),
    "ApplePushUseDevelopment": ("apple_push_use_development", "bool"),
    "ApplePushCertPrivate": ("apple_push_cert_private", "string"),
    "ApplePushCertPassword": ("apple_push_cert_password", "string"),
    "ApplePushTopic": ("apple_push_topic", "string"),
    "AppleAuthKeyFile": ("apple_auth_key_file", "string"),
    "AppleAuthKeyID": ("apple_auth_key_id", "string"),
    "AppleTeamID": ("apple_team_id", "string"),
}
_ANDROID: Final[Mapping[str, tuple[str, str]]] = {
    "Type": ("type", "string"),
    "AndroidApiKey": ("android_api_key", "string"),
    "ServiceFileLocation": ("service_file_location", "string"),
}
_ZERO: Final[Mapping[str, object]] = {"string": "", "int": 0, "bool": False}
_INT64: Final = 1 << 63


class _Float(str):
    """A JSON number with a fraction or exponent, kept as written (Go prints it that way)."""

    __slots__ = ()


class _Mismatch(Exception):
    """Wrong JSON type for a field; args = (Go's description of the value, field path, Go type)."""


def _kind(value: object, go_type: str = "") -> str:
    """How Go's UnmarshalTypeError names ``value`` (an int field quotes a number it cannot hold)."""
    if value is True or value is False:
        return "bool"
    if isinstance(value, (int, float, _Float)):
        return f"number {value}" if go_type == "int" else "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _scalar(raw: object, go_type: str, path: str) -> object:
    if go_type == "bool" and (raw is True or raw is False):
        return raw
    if go_type == "int" and type(raw) is int and -_INT64 <= raw < _INT64:
        return raw
    if go_type == "string" and type(raw) is str:
        return raw
    raise _Mismatch(_kind(raw, go_type), path, go_type)


def _lookup(obj: Mapping[str, object], fields: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str, object]]:
    """Map each JSON key to its Go field as encoding/json does: exact name first, else fold case."""
    folded = {name.lower(): name for name in fields}
    found: dict[str, tuple[str, object]] = {}
    for key, raw in obj.items():
        name = key if key in fields else folded.get(key.lower())
        if name is not None and raw is not None:
            found[name] = (key, raw)
    return found


def _struct(obj: Mapping[str, object], fields: Mapping[str, tuple[str, str]], path: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (_, raw) in _lookup(obj, fields).items():
        attr, go_type = fields[name]
        field_path = f"{path}.{name}" if path else name
        if go_type.startswith("[]"):
            values[attr] = _entries(raw, go_type, field_path)
        else:
            values[attr] = _scalar(raw, go_type, field_path)
    return values


def _entries(raw: object, go_type: str, path: str) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        raise _Mismatch(_kind(raw), path, go_type)
    element = go_type[2:]
    fields, build = (_APPLE, ApplePushSettings) if element.endswith("ApplePushSettings") else (_ANDROID, AndroidPushSettings)
    out = []
    for item in raw:
        if item is None:
            out.append(build(type=""))  # Go appends a zero struct for null
            continue
        if not isinstance(item, dict):
            raise _Mismatch(_kind(item), path, element)
        values: dict[str, Any] = {attr: _ZERO[go] for attr, go in fields.values()}
        values.update(_struct(item, fields, path))
        out.append(build(**values))
    return tuple(out)


def _read(source: str | PathLike[str]) -> tuple[object, str]:
    path = fspath(source)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ProxyConfigError(f"{path}: open {path}: no such file or directory") from None
    except OSError as exc:
        raise ProxyConfigError(f"{path}: open {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(data, parse_float=_Float, parse_constant=_reject), path
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise ProxyConfigError(f"{path}: not a JSON config file: {exc}") from None


def _reject(name: str) -> object:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")


def load_config(source: str | PathLike[str] | Mapping[str, Any], **overrides: Any) -> ProxyConfig:
    """The ProxyConfig for a config file path or an already-decoded mapping (see the module rules)."""
    doc: object
    if isinstance(source, Mapping):
        doc, where = source, "mattermost-push-proxy.json"
    else:
        doc, where = _read(source)
    if not isinstance(doc, Mapping):
        raise ProxyConfigError(f"{where}: json: cannot unmarshal {_kind(doc)} into Go value of type "
                               "server.ConfigPushProxy")
    try:
        values: dict[str, Any] = {attr: _ZERO.get(go, ()) for attr, go in _TOP.values()}
        values.update(_struct(doc, _TOP, ""))
    except _Mismatch as m:
        value, path, go_type = m.args
        raise ProxyConfigError(f"{where}: json: cannot unmarshal {value} into Go struct field "
                               f"ConfigPushProxy.{path} of type {go_type}") from None
    config = ProxyConfig(**values, source="" if isinstance(source, Mapping) else where)
    return replace(config, **overrides) if overrides else config


def sample_config(*, apple_key_file: str = "", android_service_file: str = "") -> dict[str, Any]:
    """``config/mattermost-push-proxy.sample.json`` as shipped (§3), optionally with real paths filled in."""
    return {
        "ListenAddress": ":8066",
        "ThrottlePerSec": 300,
        "ThrottleMemoryStoreSize": 50000,
        "ThrottleVaryByHeader": "X-Forwarded-For",
        "EnableMetrics": False,
        "SendTimeoutSec": 30,
        "RetryTimeoutSec": 8,
        "ApplePushSettings": [
            {"Type": "apple", "ApplePushUseDevelopment": False, "ApplePushCertPrivate": "",
             "ApplePushCertPassword": "", "ApplePushTopic": "com.mattermost.Mattermost",
             "AppleAuthKeyFile": apple_key_file, "AppleAuthKeyID": "", "AppleTeamID": ""},
            {"Type": "apple_rn", "ApplePushUseDevelopment": False, "ApplePushCertPrivate": "",
             "ApplePushCertPassword": "", "ApplePushTopic": "com.mattermost.react.native",
             "AppleAuthKeyFile": apple_key_file, "AppleAuthKeyID": "", "AppleTeamID": ""},
        ],
        "AndroidPushSettings": [
            {"Type": "android", "AndroidApiKey": "", "ServiceFileLocation": android_service_file},
            {"Type": "android_rn", "AndroidApiKey": "", "ServiceFileLocation": android_service_file},
        ],
        "EnableConsoleLog": True,
        "EnableFileLog": False,
        "LogFileLocation": "",
        "LogFormat": "plain",
    }
