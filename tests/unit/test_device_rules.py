"""The phone's pure rules: signature check (§8.6), server connection (§8.2), trust store, network cost."""

from __future__ import annotations

import pytest

from fake_devices import (DEVICES, CertificateInvalid, ConnectFailed, DeviceError, NetworkProfile, Platform, Radio,
                          ServerInfo, ServerRefused, TrustStore, Unreachable, device, network, sanitize_url,
                          server_signs, verify_signature)
from fake_devices.servers import (CANNOT_CONNECT, CANNOT_RECEIVE, COULD_NOT_RECEIVE, INVALID_SSL_TITLE,
                                  MISSING_DIAGNOSTIC_ID, failure_alert, push_verification, server_info)
from simulator.signing import es256_jwt, new_p256_key, spki_b64

KEY = new_p256_key()
SERVER = ServerInfo(url="https://chat.test", diagnostic_id="d1", signing_key=spki_b64(KEY), version="10.11.0")


def payload(**claims: str) -> dict[str, str]:
    return {"ack_id": "a1", "server_id": "d1", "signature": es256_jwt(KEY, claims)}


# -- §8.6 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("version", "signs"), [
    ("10.11.0", True), ("11.0.0", True), ("9.8.0", True), ("9.11.2", True), ("9.7.3", True), ("9.7.2", False),
    ("9.6.3", True), ("9.6.2", False), ("9.5.5", True), ("9.5.4", False), ("9.4.9", False), ("9.0.0", False),
    ("8.1.14", True), ("8.1.13", False), ("8.0.0", False), ("7.10.0", False), ("5.37.9", False),
    ("", True), ("10.x", True), ("dev", True),
])
def test_no_signature_version_table(version: str, signs: bool) -> None:
    assert server_signs(version, platform=Platform.ANDROID) is signs


def test_ios_needs_three_version_parts_android_does_not() -> None:
    assert server_signs("9.4", platform=Platform.IOS) is True
    assert server_signs("9.4", platform=Platform.ANDROID) is False


def test_a_good_signature_verifies() -> None:
    check = verify_signature(payload(ack_id="a1", device_id="tok"), server=SERVER, token="tok", platform=Platform.IOS)
    assert (check.ok, check.reason) == (True, "verified")


@pytest.mark.parametrize(("claims", "token", "reason"), [
    ({"ack_id": "a1", "device_id": "other"}, "tok", "Incorrect claim: device_id"),
    ({"ack_id": "zz", "device_id": "tok"}, "tok", "Incorrect claim: ack_id"),
    ({"device_id": "tok"}, "tok", "Missing claim: ack_id"),
])
def test_wrong_claims_are_refused_by_name(claims: dict[str, str], token: str, reason: str) -> None:
    check = verify_signature(payload(**claims), server=SERVER, token=token, platform=Platform.ANDROID)
    assert (check.ok, check.reason) == (False, reason)


@pytest.mark.parametrize(("push", "server", "ok", "reason"), [
    ({"ack_id": "a1"}, None, True, "No signature in the notification"),
    ({"ack_id": "a1", "signature": "NO_SIGNATURE"}, SERVER, False, "Server version should send signature"),
    ({"ack_id": "a1", "signature": "NO_SIGNATURE"}, ServerInfo(url="u", diagnostic_id="d1", version="9.4.0"), True,
     "Server version too old to sign"),
    ({"ack_id": "a1", "signature": "x.y.z"}, ServerInfo(url="u", diagnostic_id="d1"), False, "No signing key"),
    ({"ack_id": "a1", "signature": "x.y"}, SERVER, False, "Cannot verify JWT: malformed token: "),
    ({"ack_id": "a1", "signature": "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"}, SERVER, False,
     "Cannot verify JWT: unexpected signing method"),
    ({"ack_id": "a1", "signature": "abc"}, None, False, "No server for this notification"),
])
def test_signature_outcomes(push: dict[str, str], server: ServerInfo | None, ok: bool, reason: str) -> None:
    check = verify_signature(push, server=server, token="tok", platform=Platform.ANDROID)
    assert check.ok is ok and check.reason.startswith(reason)


# -- §8.2 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "urls"), [
    ("chat.example.com", ("https://chat.example.com",)),
    ("  https://chat.example.com/ ", ("https://chat.example.com",)),
    ("http://chat.example.com:8065", ("https://chat.example.com:8065", "http://chat.example.com:8065")),
    ("HTTPS://Chat.example.com", ("https://Chat.example.com",)),
])
def test_url_sanitising(raw: str, urls: tuple[str, ...]) -> None:
    assert sanitize_url(raw) == urls


@pytest.mark.parametrize(("raw", "title"), [
    ("", "Please enter a valid server URL"), ("   ", "Please enter a valid server URL"),
    ("ftp://chat.example.com", "URL must start with http:// or https://"),
    ("https://", "URL must start with http:// or https://"),
])
def test_bad_urls_are_refused_with_the_apps_text(raw: str, title: str) -> None:
    with pytest.raises(ConnectFailed) as info:
        sanitize_url(raw)
    assert info.value.alert.title == title


@pytest.mark.parametrize(("answer", "value", "alert"), [
    ({"status": "OK"}, "", None), ({"CanReceiveNotifications": "true"}, "true", None),
    ({"CanReceiveNotifications": "false"}, "false", CANNOT_RECEIVE),
    ({"CanReceiveNotifications": "unknown"}, "unknown", COULD_NOT_RECEIVE),
])
def test_push_proxy_verification_alerts(answer: dict[str, str], value: str, alert: object) -> None:
    assert push_verification(answer) == (value, alert)


def test_the_verification_alert_texts_are_the_apps() -> None:
    assert CANNOT_RECEIVE.title == "Notifications cannot be received from this server"
    assert CANNOT_RECEIVE.body.startswith("Due to the configuration of this server, notifications cannot be received")
    assert COULD_NOT_RECEIVE.body.endswith("This will be attempted again next time you connect.")


@pytest.mark.parametrize(("failure", "title", "body"), [
    (CertificateInvalid("x", host="chat.example.com"), INVALID_SSL_TITLE,
     "The certificate for this server is invalid.\nYou might be connecting to a server that is pretending to be "
     "“chat.example.com” which could put your confidential information at risk."),
    (Unreachable("refused"), CANNOT_CONNECT, ""),
    (ServerRefused("x", status=401), "Server requires client certificate for authentication.", ""),
    (ServerRefused("x", status=403, reject_reason="pre-auth"),
     "Authentication secret is invalid. Try again or contact your admin.", ""),
    (ServerRefused("x", status=500), CANNOT_CONNECT, ""),
])
def test_connection_failures_map_to_the_apps_texts(failure: Exception, title: str, body: str) -> None:
    alert = failure_alert(failure, "https://chat.example.com")  # type: ignore[arg-type]
    assert (alert.title, alert.body) == (title, body)


def test_a_server_without_diagnostic_id_cannot_be_added() -> None:
    with pytest.raises(ConnectFailed) as info:
        server_info("https://x", {"Version": "10.0.0"})
    assert info.value.alert.title == MISSING_DIAGNOSTIC_ID
    assert server_info("https://x", {"DiagnosticId": "d", "Version": 10}).version == ""


# -- trust store ------------------------------------------------------------------------------
PEM = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_user_cas_count_on_android_as_installed_and_on_ios_only_when_trusted() -> None:
    store = TrustStore().install("corp", PEM)
    assert store.accepted(Platform.ANDROID) == (PEM,) and store.accepted(Platform.IOS) == ()
    assert store.trust("corp").accepted(Platform.IOS) == (PEM,)
    assert store.remove("corp").accepted(Platform.ANDROID) == ()
    assert TrustStore().world_ca and not TrustStore().without_world_ca().world_ca


def test_trust_store_refuses_nonsense() -> None:
    with pytest.raises(DeviceError, match="not a PEM certificate"):
        TrustStore().install("x", b"hello")
    with pytest.raises(DeviceError, match="no installed CA named 'corp'"):
        TrustStore().trust("corp")


# -- network and models -----------------------------------------------------------------------
def test_a_request_costs_handshakes_once_and_the_radio_wakes_once() -> None:
    lte = network("4g")
    radio = Radio(lte)
    first = radio.exchange("https://chat", 0.0, bytes_up=500, bytes_down=50_000)
    again = radio.exchange("https://chat", 1.0, bytes_up=500, bytes_down=50_000)
    assert first.radio_woke and first.new_connection and not again.radio_woke and not again.new_connection
    assert again.total_s == pytest.approx(0.050 + 500 * 8 / 8e6 + 50_000 * 8 / 50e6)
    assert first.total_s - again.total_s == pytest.approx(0.100 + 2 * 0.050 + 600 * 8 / 8e6 + 4000 * 8 / 50e6)


def test_an_idle_radio_and_its_connections_go_cold_after_the_tail() -> None:
    radio = Radio(network("3g"))
    radio.exchange("https://chat", 0.0, bytes_up=1, bytes_down=1)
    assert radio.exchange("https://chat", 100.0, bytes_up=1, bytes_down=1).radio_woke
    radio.forget()
    assert radio.outbound("https://chat", 100.5, bytes_up=1).new_connection


def test_networks_by_name() -> None:
    assert network("5G").describe() == "5G (20 ms ping, 77 Mb/s down, 12 Mb/s up)"
    assert network("offline").describe() == "offline (no connection)"
    with pytest.raises(ValueError, match="unknown network 'dialup'"):
        network("dialup")
    assert isinstance(network("wifi"), NetworkProfile)


def test_device_models() -> None:
    assert device("Samsung Galaxy S6").platform is Platform.ANDROID and DEVICES["iPhone 5s"].speed > 1
    assert device("Nokia 3310").speed == 1.0 and device("Pixel 7").os_major == 14
    with pytest.raises(DeviceError, match="is an android phone"):
        device("Pixel 7", platform=Platform.IOS)
