"""mattermost-push-proxy.json as the Go proxy reads it (§3): keys, defaults, errors naming the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from simulator.proxy import AppleAuth, ProxyConfig, ProxyConfigError, sample_config

# The sample file's values as listed in spec §3.1–§3.3.
SAMPLE: dict[str, Any] = {
    "ListenAddress": ":8066", "ThrottlePerSec": 300, "ThrottleMemoryStoreSize": 50000,
    "ThrottleVaryByHeader": "X-Forwarded-For", "EnableMetrics": False, "SendTimeoutSec": 30, "RetryTimeoutSec": 8,
    "ApplePushSettings": [
        {"Type": "apple", "ApplePushUseDevelopment": False, "ApplePushCertPrivate": "", "ApplePushCertPassword": "",
         "ApplePushTopic": "com.mattermost.Mattermost", "AppleAuthKeyFile": "", "AppleAuthKeyID": "",
         "AppleTeamID": ""},
        {"Type": "apple_rn", "ApplePushUseDevelopment": False, "ApplePushCertPrivate": "", "ApplePushCertPassword": "",
         "ApplePushTopic": "com.mattermost.react.native", "AppleAuthKeyFile": "", "AppleAuthKeyID": "",
         "AppleTeamID": ""},
    ],
    "AndroidPushSettings": [
        {"Type": "android", "AndroidApiKey": "", "ServiceFileLocation": ""},
        {"Type": "android_rn", "AndroidApiKey": "", "ServiceFileLocation": ""},
    ],
    "EnableConsoleLog": True, "EnableFileLog": False, "LogFileLocation": "", "LogFormat": "plain",
}


def write(tmp_path: Path, doc: object, name: str = "mattermost-push-proxy.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def test_the_sample_file_loads_with_every_key(tmp_path: Path) -> None:
    config = ProxyConfig.from_json(write(tmp_path, SAMPLE))
    assert (config.listen_address, config.throttle_per_sec, config.throttle_memory_store_size,
            config.throttle_vary_by_header, config.enable_metrics) == (":8066", 300, 50000, "X-Forwarded-For", False)
    assert (config.send_timeout, config.retry_timeout) == (30.0, 8.0)
    assert [(a.type, a.apple_push_topic) for a in config.apple_push_settings] == [
        ("apple", "com.mattermost.Mattermost"), ("apple_rn", "com.mattermost.react.native")]
    assert [a.type for a in config.android_push_settings] == ["android", "android_rn"]
    assert (config.enable_console_log, config.enable_file_log, config.log_file_location,
            config.effective_log_format) == (True, False, "", "plain")
    assert config.source == str(tmp_path / "mattermost-push-proxy.json")
    assert all(a.auth is None for a in config.apple_push_settings)  # placeholders: nothing configured


def test_sample_config_helper_is_the_sample(tmp_path: Path) -> None:
    assert sample_config() == SAMPLE
    from_file = ProxyConfig.from_json(write(tmp_path, sample_config()))
    assert ProxyConfig.from_json(sample_config()) == ProxyConfig.from_json({**SAMPLE}) != from_file  # source differs
    assert sample_config(apple_key_file="/k.p8")["ApplePushSettings"][1]["AppleAuthKeyFile"] == "/k.p8"


def test_absent_or_zero_keys_get_the_code_defaults() -> None:
    config = ProxyConfig.from_json({"SendTimeoutSec": 0})
    assert (config.send_timeout, config.retry_timeout) == (30.0, 8.0)
    assert config.throttle_per_sec == 0 and config.throttle_rate == 1  # the limiter clamps to 1/s
    assert config.throttle_headers == ()
    assert config.effective_console_log  # forced on when file logging is off too
    assert config.apple_push_settings == () and config.android_push_settings == ()


def test_retry_timeout_is_capped_by_the_send_timeout() -> None:
    assert ProxyConfig.from_json({"SendTimeoutSec": 5, "RetryTimeoutSec": 8}).retry_timeout == 5.0


def test_keys_match_case_insensitively_and_unknown_keys_are_ignored() -> None:
    config = ProxyConfig.from_json({"throttlepersec": 7, "THROTTLEVARYBYHEADER": "X-Real-IP X-Forwarded-For",
                                    "NoSuchKey": [1, 2], "applepushsettings": [{"type": "apple_rn"}]})
    assert config.throttle_rate == 7
    assert config.throttle_headers == ("X-Real-IP", "X-Forwarded-For")
    assert config.apple_push_settings[0].type == "apple_rn"


def test_null_leaves_the_zero_value() -> None:
    assert ProxyConfig.from_json({"ListenAddress": None, "ApplePushSettings": [None]}).listen_address == ""
    assert ProxyConfig.from_json({"ApplePushSettings": [None]}).apple_push_settings[0].type == ""


@pytest.mark.parametrize(("doc", "error"), [
    ({"ThrottlePerSec": "300"}, "json: cannot unmarshal string into Go struct field ConfigPushProxy.ThrottlePerSec "
                                "of type int"),
    ({"SendTimeoutSec": 2.5}, "json: cannot unmarshal number 2.5 into Go struct field ConfigPushProxy.SendTimeoutSec "
                              "of type int"),
    ({"EnableMetrics": "true"}, "json: cannot unmarshal string into Go struct field ConfigPushProxy.EnableMetrics "
                                "of type bool"),
    ({"ListenAddress": 8066}, "json: cannot unmarshal number into Go struct field ConfigPushProxy.ListenAddress "
                              "of type string"),
    ({"ApplePushSettings": {}}, "json: cannot unmarshal object into Go struct field ConfigPushProxy.ApplePushSettings "
                                "of type []server.ApplePushSettings"),
    ({"ApplePushSettings": ["apple"]}, "json: cannot unmarshal string into Go struct field "
                                       "ConfigPushProxy.ApplePushSettings of type server.ApplePushSettings"),
    ({"ApplePushSettings": [{"ApplePushTopic": 1}]}, "json: cannot unmarshal number into Go struct field "
                                                     "ConfigPushProxy.ApplePushSettings.ApplePushTopic of type string"),
    ({"AndroidPushSettings": [{"ServiceFileLocation": True}]},
     "json: cannot unmarshal bool into Go struct field ConfigPushProxy.AndroidPushSettings.ServiceFileLocation "
     "of type string"),
])
def test_a_wrong_type_is_refused_with_gos_text_naming_the_key(doc: dict[str, Any], error: str) -> None:
    with pytest.raises(ProxyConfigError) as caught:
        ProxyConfig.from_json(doc)
    assert str(caught.value) == f"mattermost-push-proxy.json: {error}"


def test_a_file_that_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, [1])
    with pytest.raises(ProxyConfigError, match=r"cannot unmarshal array into Go value of type server.ConfigPushProxy"):
        ProxyConfig.from_json(path)


def test_a_file_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '{"ListenAddress": ":8066",}')
    with pytest.raises(ProxyConfigError) as caught:
        ProxyConfig.from_json(path)
    assert str(caught.value).startswith(f"{path}: not a JSON config file:")


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(ProxyConfigError) as caught:
        ProxyConfig.from_json(path)
    assert str(caught.value) == f"{path}: open {path}: no such file or directory"


def test_apple_auth_follows_the_init_order() -> None:
    entries = ProxyConfig.from_json({"ApplePushSettings": [
        {"Type": "a", "AppleAuthKeyFile": "k.p8", "AppleAuthKeyID": "K", "AppleTeamID": "T",
         "ApplePushCertPrivate": "c.pem"},
        {"Type": "b", "AppleAuthKeyFile": "k.p8", "AppleAuthKeyID": "K", "ApplePushCertPrivate": "c.pem"},
        {"Type": "c", "AppleAuthKeyFile": "k.p8", "AppleAuthKeyID": "K"},
    ]}).apple_push_settings
    assert [e.auth for e in entries] == [AppleAuth.TOKEN, AppleAuth.CERTIFICATE, None]


def test_overrides_set_the_simulators_own_knobs() -> None:
    config = ProxyConfig.from_json({}, fcm_url="https://127.0.0.1:1", version="x")
    assert (config.fcm_url, config.version) == ("https://127.0.0.1:1", "x")
    assert ProxyConfig.from_json({}).fcm_url == "https://fcm.googleapis.com"


@pytest.mark.parametrize(("fmt", "effective"), [("plain", "plain"), ("json", "json"), ("JSON", "plain"), ("", "plain")])
def test_log_format_falls_back_to_plain(fmt: str, effective: str) -> None:
    assert ProxyConfig.from_json({"LogFormat": fmt}).effective_log_format == effective


def test_file_log_defaults_its_location() -> None:
    config = ProxyConfig.from_json({"EnableFileLog": True, "EnableConsoleLog": False})
    assert (config.effective_log_file, config.effective_console_log) == ("./logs/push_proxy.log", False)
