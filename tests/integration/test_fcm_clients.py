"""Real Google clients against FakeFcm: google-auth, firebase-admin and PyFCM, each aimed at the
fake by the smallest knob of apns-fcm.md C2 (``token_uri``, ``FCM_URL``/endpoint, CA bundle).

The clients are synchronous (requests), so they run in threads (``asyncio.to_thread``) while the
server runs on the test's loop. Their JWTs carry the wall clock, so the fake's clock starts at
``time.time()``. Nothing here reaches the internet.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from fake_fcm import AccessTokenIssued, FakeFcm, FcmError, MessageDelivered, ServiceAccount
from tests.support.fcm_tls import FcmPki
from tests.support.fcm_world import OTHER_PROJECT, PROJECT, FcmWorld, make_world, rsa_key

google_auth_exceptions = pytest.importorskip("google.auth.exceptions")
google_requests = pytest.importorskip("google.auth.transport.requests")
service_account = pytest.importorskip("google.oauth2.service_account")

T = TypeVar("T")
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
_app_names = itertools.count()


@pytest.fixture(scope="module")
def fcm_pki() -> FcmPki:
    return FcmPki.create()


@dataclass
class Live:
    world: FcmWorld
    fcm: FakeFcm
    delivered: list[object]
    tmp: Path

    def info(self, account: ServiceAccount | None = None) -> dict[str, str]:
        return self.fcm.service_account_info(account or self.world.account)

    def stranger(self) -> dict[str, str]:
        """The account's JSON with a key Google never saw (a leaked or regenerated file)."""
        account = self.world.account
        forged = ServiceAccount(project_id=account.project_id, client_email=account.client_email,
                                client_id=account.client_id, private_key_id=account.private_key_id,
                                private_key=rsa_key(2))
        return forged.info(self.fcm.token_uri)


@pytest.fixture
async def live(fcm_pki: FcmPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Live]:
    ca = str(fcm_pki.ca_file(tmp_path))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca)  # requests: token fetches, firebase-admin and PyFCM sends
    monkeypatch.setenv("SSL_CERT_FILE", ca)  # httpx (firebase-admin's async client); skips the big system bundle
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    world = make_world(start=time.time())
    delivered: list[object] = []
    async with FakeFcm(world.core, ssl_context=fcm_pki.server_context(), publish=lambda e: None,
                       deliver=delivered.append) as fcm:
        yield Live(world=world, fcm=fcm, delivered=delivered, tmp=tmp_path)
        assert fcm.errors == []


async def in_thread(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(call, *args, **kwargs)


# -- google-auth -------------------------------------------------------------------------------
async def test_google_auth_gets_an_access_token_from_token_uri(live: Live) -> None:
    creds = service_account.Credentials.from_service_account_info(live.info(), scopes=[FCM_SCOPE])
    await in_thread(creds.refresh, google_requests.Request())
    assert creds.token.startswith("ya29.") and creds.valid
    [issued] = [g for g in live.world.core.grants if isinstance(g, AccessTokenIssued)]
    assert (issued.token, issued.client_email, issued.scopes) == (creds.token, live.world.account.client_email,
                                                                  (FCM_SCOPE,))


async def test_google_auth_with_a_key_google_never_saw_gets_invalid_grant(live: Live) -> None:
    creds = service_account.Credentials.from_service_account_info(live.stranger(), scopes=[FCM_SCOPE])
    with pytest.raises(google_auth_exceptions.RefreshError, match="invalid_grant: Invalid JWT Signature."):
        await in_thread(creds.refresh, google_requests.Request())


async def test_google_auth_with_a_session_that_trusts_the_ca_explicitly(live: Live, fcm_pki: FcmPki,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    requests = pytest.importorskip("requests")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # either would override session.verify
        monkeypatch.delenv(name, raising=False)
    creds = service_account.Credentials.from_service_account_info(live.info(), scopes=[FCM_SCOPE])
    with pytest.raises(google_auth_exceptions.TransportError):  # the system CAs do not know the fake
        await in_thread(creds.refresh, google_requests.Request())
    with requests.Session() as session:
        session.verify = str(fcm_pki.ca_file(live.tmp))
        await in_thread(creds.refresh, google_requests.Request(session=session))
    assert creds.valid


# -- firebase-admin ----------------------------------------------------------------------------
@pytest.fixture
def admin(live: Live, monkeypatch: pytest.MonkeyPatch) -> Any:
    """firebase_admin.messaging aimed at the fake (FCM_URL, before the first call for an App)."""
    messaging = pytest.importorskip("firebase_admin.messaging")
    monkeypatch.setattr(messaging._MessagingService, "FCM_URL", live.fcm.url + "/v1/projects/{0}/messages:send")
    return messaging


@pytest.fixture
async def make_app(live: Live) -> AsyncIterator[Callable[..., Any]]:
    firebase_admin = pytest.importorskip("firebase_admin")
    credentials = pytest.importorskip("firebase_admin.credentials")
    apps: list[Any] = []

    def make(info: dict[str, str], **options: Any) -> Any:
        app = firebase_admin.initialize_app(credentials.Certificate(info), options or None,
                                            name=f"fcm-test-{next(_app_names)}")
        apps.append(app)
        return app

    yield make
    for app in apps:  # delete_app closes an httpx client with asyncio.run: not on this loop's thread
        await in_thread(firebase_admin.delete_app, app)


def _message(admin: Any, token: str, **kwargs: Any) -> Any:
    return admin.Message(fid=token, data={"type": "message", "ack_id": "a1"},
                         android=admin.AndroidConfig(priority="high", ttl=3.5, collapse_key="c"), **kwargs)


async def test_firebase_admin_send_returns_the_name_and_dry_run_fake_message_id(live: Live, admin: Any,
                                                                                 make_app: Any) -> None:
    app = make_app(live.info())
    name = await in_thread(admin.send, _message(admin, live.world.token), app=app)
    assert name.startswith(f"projects/{PROJECT}/messages/0:")
    [delivered] = live.delivered
    assert isinstance(delivered, MessageDelivered)
    assert (delivered.data, delivered.collapse_key, delivered.message_id) == (
        {"type": "message", "ack_id": "a1"}, "c", name.rsplit("/", 1)[1])
    accepted = live.world.core.history.accepted()[0]
    assert accepted.message.fields["android"]["ttl"] == "3.500000000s"  # firebase-admin's Duration encoding
    dry = await in_thread(admin.send, _message(admin, live.world.token), dry_run=True, app=app)
    assert dry == f"projects/{PROJECT}/messages/fake_message_id" and len(live.delivered) == 1
    with pytest.warns(DeprecationWarning, match="Message.token is deprecated"):  # the field Mattermost's SDK uses
        legacy_field = admin.Message(token=live.world.token, data={"a": "b"})
    assert (await in_thread(admin.send, legacy_field, app=app)).startswith("projects/")


# The exception firebase-admin raises for each FcmError code (by errorCode, else by status).
ADMIN_ERRORS = [(FcmError.SENDER_ID_MISMATCH, "SenderIdMismatchError"), (FcmError.QUOTA_EXCEEDED, "QuotaExceededError"),
                (FcmError.THIRD_PARTY_AUTH_ERROR, "ThirdPartyAuthError"),
                (FcmError.APNS_AUTH_ERROR, "ThirdPartyAuthError"), (FcmError.INVALID_ARGUMENT, "InvalidArgumentError")]


async def test_firebase_admin_maps_each_fcm_error_to_its_exception(live: Live, admin: Any, make_app: Any) -> None:
    firebase_exceptions = pytest.importorskip("firebase_admin.exceptions")
    app = make_app(live.info())
    history = live.world.core.history
    for code, error in ADMIN_ERRORS:
        history.clear()
        # A 401 makes google-auth refresh the token and resend, twice: as against Google, the error
        # surfaces only if FCM keeps answering it.
        attempts = 3 if code.http_status == 401 else 1
        live.world.core.faults.push(code, times=attempts)
        with pytest.raises(getattr(admin, error, None) or getattr(firebase_exceptions, error)):
            await in_thread(admin.send, _message(admin, live.world.token), app=app)
        assert len(history.rejected()) == attempts and live.world.core.faults.pending == ()
    assert await in_thread(admin.send, _message(admin, live.world.token), app=app)  # and then it works again


async def test_firebase_admin_raises_for_uninstalled_apps_and_other_senders_tokens(live: Live, admin: Any,
                                                                                    make_app: Any) -> None:
    app = make_app(live.info())
    with pytest.raises(admin.SenderIdMismatchError, match="SenderId mismatch"):
        await in_thread(admin.send, _message(admin, live.world.other_token), app=app)
    assert await in_thread(admin.send, _message(admin, live.world.token), app=app)
    live.world.registry.uninstall("phone-1", "com.mattermost.rnbeta")
    with pytest.raises(admin.UnregisteredError, match="Requested entity was not found."):
        await in_thread(admin.send, _message(admin, live.world.token), app=app)


async def test_firebase_admin_retries_a_500_and_refreshes_an_expired_token(live: Live, admin: Any,
                                                                            make_app: Any) -> None:
    app = make_app(live.info())
    live.world.core.faults.push(FcmError.INTERNAL)
    assert await in_thread(admin.send, _message(admin, live.world.token), app=app)
    assert [type(v).__name__ for v in live.world.core.history.received()] == ["MessageRejected", "MessageAccepted"]
    live.world.core.tokens.expire_all()
    assert await in_thread(admin.send, _message(admin, live.world.token), app=app)
    assert [v.http_status for v in live.world.core.history.rejected()] == [500, 401]
    assert len(live.world.core.grants) == 2 and len(live.delivered) == 2


async def test_firebase_admin_with_a_wrong_key_fails_to_get_a_token(live: Live, admin: Any, make_app: Any) -> None:
    with pytest.raises(google_auth_exceptions.RefreshError, match="invalid_grant"):
        await in_thread(admin.send, _message(admin, live.world.token), app=make_app(live.stranger()))
    assert live.world.core.history.received() == []


async def test_firebase_admin_with_another_projects_account_is_permission_denied(live: Live, admin: Any,
                                                                                  make_app: Any) -> None:
    firebase_exceptions = pytest.importorskip("firebase_admin.exceptions")
    app = make_app(live.info(live.world.other_account), projectId=PROJECT)
    with pytest.raises(firebase_exceptions.PermissionDeniedError, match="cloudmessaging.messages.create"):
        await in_thread(admin.send, _message(admin, live.world.token), app=app)
    other = make_app(live.info(live.world.other_account))  # its own project is fine
    assert await in_thread(admin.send, _message(admin, live.world.other_token), app=other)


# -- PyFCM -------------------------------------------------------------------------------------
@pytest.fixture
def pyfcm_client(live: Live) -> Any:
    pyfcm = pytest.importorskip("pyfcm")
    path = live.world.account.write(live.tmp / "service-account.json", token_uri=live.fcm.token_uri)
    client = pyfcm.FCMNotification(service_account_file=str(path), project_id=PROJECT)
    client.FCM_END_POINT_BASE = live.fcm.url + "/v1/projects"  # the instance knob, before the first send
    return client


async def test_pyfcm_sends_and_gets_the_name(live: Live, pyfcm_client: Any) -> None:
    result = await in_thread(pyfcm_client.notify, fcm_token=live.world.token, data_payload={"type": "message"},
                             android_config={"priority": "high"})
    assert result["name"].startswith(f"projects/{PROJECT}/messages/")
    [issued] = [g for g in live.world.core.grants if isinstance(g, AccessTokenIssued)]
    assert issued.scopes == (FCM_SCOPE,)  # PyFCM asks for firebase.messaging only
    assert len(live.delivered) == 1


async def test_pyfcm_sees_the_same_errors(live: Live, pyfcm_client: Any) -> None:
    errors = pytest.importorskip("pyfcm.errors")
    live.world.registry.uninstall("phone-1", "com.mattermost.rnbeta")
    with pytest.raises(errors.FCMNotRegisteredError):
        await in_thread(pyfcm_client.notify, fcm_token=live.world.token, data_payload={"a": "b"})
    with pytest.raises(errors.FCMSenderIdMismatchError):
        await in_thread(pyfcm_client.notify, fcm_token=live.world.other_token, data_payload={"a": "b"})
    with pytest.raises(errors.InvalidDataError, match="Invalid data message key"):
        await in_thread(pyfcm_client.notify, fcm_token=live.world.other_token, data_payload={"from": "b"})
    live.world.core.faults.push(FcmError.QUOTA_EXCEEDED)
    with pytest.raises(errors.FCMServerError, match="429"):
        await in_thread(pyfcm_client.notify, fcm_token=live.world.token, data_payload={"a": "b"})


async def test_pyfcm_refreshes_only_on_access_token_expired(live: Live, pyfcm_client: Any) -> None:
    errors = pytest.importorskip("pyfcm.errors")
    await in_thread(pyfcm_client.notify, fcm_token=live.world.token, data_payload={"a": "b"})
    live.world.core.tokens.expire_all()
    await in_thread(pyfcm_client.notify, fcm_token=live.world.token, data_payload={"a": "b"})  # refreshed, resent
    assert len(live.delivered) == 2
    live.world.core.tokens.clear()  # its cached token is now unknown, not expired: no refresh, no loop
    with pytest.raises(errors.AuthenticationError):
        await in_thread(pyfcm_client.notify, fcm_token=live.world.token, data_payload={"a": "b"})


async def test_pyfcm_with_a_wrong_key_fails_like_against_google(live: Live) -> None:
    pyfcm = pytest.importorskip("pyfcm")
    errors = pytest.importorskip("pyfcm.errors")
    creds = service_account.Credentials.from_service_account_info(live.stranger(), scopes=[FCM_SCOPE])
    client = pyfcm.FCMNotification(credentials=creds, project_id=PROJECT)
    client.FCM_END_POINT_BASE = live.fcm.url + "/v1/projects"
    with pytest.raises(errors.InvalidDataError, match="invalid_grant"):
        await in_thread(client.notify, fcm_token=live.world.token, data_payload={"a": "b"})
    assert OTHER_PROJECT and live.world.core.history.received() == []
