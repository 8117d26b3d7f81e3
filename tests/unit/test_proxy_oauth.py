"""Service accounts, the JWT-bearer grant (apns-fcm.md B1) and FCM error envelopes (B3, §5.4)."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from simulator.proxy import AndroidPushSettings, ServiceAccountKey, TargetInitError, service_account_json
from simulator.proxy.fcm_sender import parse_fcm_error
from simulator.proxy.oauth import FCM_SCOPE, GRANT_TYPE, service_account, token_error_text

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
INFO = json.loads(service_account_json(project_id="mattermost-rn", client_email="sa@mattermost-rn.iam.gserviceaccount.com",
                                       private_key_id="ab12cd", private_key=KEY, token_uri="https://127.0.0.1:1/token"))


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    head, claims, sig = token.split(".")

    def dec(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    return json.loads(dec(head)), json.loads(dec(claims)), f"{head}.{claims}".encode(), dec(sig)


def test_the_assertion_is_rs256_signed_by_the_service_account() -> None:
    account = ServiceAccountKey.from_json(json.dumps(INFO).encode())
    header, claims, signed, signature = jwt_parts(account.grant_assertion(1_767_225_600.7))
    assert header == {"typ": "JWT", "alg": "RS256", "kid": "ab12cd"}
    assert claims == {"iat": 1_767_225_600, "exp": 1_767_229_200, "iss": "sa@mattermost-rn.iam.gserviceaccount.com",
                      "aud": "https://oauth2.googleapis.com/token", "scope": FCM_SCOPE}
    KEY.public_key().verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())  # raises if wrong


def test_the_assertion_has_the_same_shape_as_google_auths() -> None:
    service_account_module = pytest.importorskip("google.oauth2.service_account")
    theirs = service_account_module.Credentials.from_service_account_info(INFO, scopes=[FCM_SCOPE])
    their_header, their_claims, _, _ = jwt_parts(theirs._make_authorization_grant_assertion().decode())
    our_header, our_claims, _, _ = jwt_parts(ServiceAccountKey.from_json(INFO).grant_assertion(their_claims["iat"]))
    assert our_header == their_header
    assert our_claims == their_claims


def test_the_grant_form() -> None:
    form = parse_qs(ServiceAccountKey.from_json(INFO).grant_form(0).decode())
    assert set(form) == {"grant_type", "assertion"}
    assert form["grant_type"] == [GRANT_TYPE]


def test_send_url_uses_the_project_and_the_configured_base() -> None:
    account = ServiceAccountKey.from_json(INFO)
    assert account.send_url("https://fcm.googleapis.com/") == \
        "https://fcm.googleapis.com/v1/projects/mattermost-rn/messages:send"


@pytest.mark.parametrize(("change", "error"), [
    ({"type": "authorized_user"}, "'type' field is 'authorized_user', expected 'service_account'"),
    ({"project_id": ""}, "missing or empty 'project_id'"),
    ({"token_uri": None}, "missing or empty 'token_uri'"),
    ({"private_key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"}, "is not a PEM private key"),
])
def test_a_bad_service_account_names_the_field(change: dict[str, Any], error: str) -> None:
    with pytest.raises(TargetInitError, match=error):
        ServiceAccountKey.from_json({**INFO, **change}, where="sa.json")


def test_an_ec_key_is_refused() -> None:
    pem = json.loads(service_account_json(project_id="p", client_email="e", private_key_id="k", private_key=KEY,
                                          token_uri="t"))["private_key"]
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    from cryptography.hazmat.primitives import serialization
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(TargetInitError, match="must be an RSA key"):
        ServiceAccountKey.from_json({**INFO, "private_key": ec_pem})


def test_not_json_is_refused() -> None:
    with pytest.raises(TargetInitError, match="not a JSON service-account file"):
        ServiceAccountKey.from_json(b"{nope")


def test_service_file_location_is_required_and_read(tmp_path: Any) -> None:
    with pytest.raises(TargetInitError) as caught:
        service_account(AndroidPushSettings(type="android_rn"))
    assert str(caught.value) == "android push notifications not configured: missing ServiceFileLocation"
    missing = tmp_path / "missing.json"
    with pytest.raises(TargetInitError, match=f"open {missing}: no such file or directory"):
        service_account(AndroidPushSettings(type="android_rn", service_file_location=str(missing)))
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(INFO))
    assert service_account(AndroidPushSettings(type="android_rn", service_file_location=str(path))).project_id \
        == "mattermost-rn"


def test_token_error_text_is_golang_oauth2s() -> None:
    body = b'{"error":"invalid_grant","error_description":"Invalid JWT Signature."}'
    assert token_error_text(400, "Bad Request", body) == 'oauth2: "invalid_grant" "Invalid JWT Signature."'
    assert token_error_text(502, "Bad Gateway", b"<html>") == \
        "oauth2: cannot fetch token: 502 Bad Gateway\nResponse: <html>"


def envelope(code: int, status: str, message: str, *details: dict[str, Any]) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "status": status, "details": list(details)}}).encode()


def fcm_error(code: str) -> dict[str, str]:
    return {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}


@pytest.mark.parametrize(("status", "body", "parsed"), [
    (404, envelope(404, "NOT_FOUND", "Requested entity was not found.", fcm_error("UNREGISTERED")),
     ("UNREGISTERED", "Requested entity was not found.")),
    (403, envelope(403, "PERMISSION_DENIED", "SenderId mismatch", fcm_error("SENDER_ID_MISMATCH")),
     ("SENDER_ID_MISMATCH", "SenderId mismatch")),
    (400, envelope(400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
     ("INVALID_ARGUMENT", "Request contains an invalid argument.")),
    (404, envelope(404, "NOT_FOUND", "no such project",
                   {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "x"}),
     ("NOT_FOUND", "no such project")),  # no FcmError detail: the canonical status, which never REMOVEs
    (502, b"<html>bad gateway</html>", ("", "unexpected http response with status: 502\n<html>bad gateway</html>")),
    (500, b'{"error":"x"}', ("", 'unexpected http response with status: 500\n{"error":"x"}')),
])
def test_parse_fcm_error(status: int, body: bytes, parsed: tuple[str, str]) -> None:
    assert parse_fcm_error(status, body) == parsed
