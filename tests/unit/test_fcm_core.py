"""``FcmCore.send`` end to end on the pure core: auth, project permission, registration tokens,
injected faults and evidence, with Google's exact error envelopes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fake_fcm import (Api, ConnectionDropped, FaultKind, FcmError, HttpRequest, MessageAccepted, MessageDelivered,
                      MessageRejected)
from tests.support.fcm_world import OTHER_PACKAGE, OTHER_PROJECT, PROJECT, FcmWorld, body, make_world

AUTH_HINT = ("Expected OAuth 2 access token, login cookie or other valid authentication credential. "
             "See https://developers.google.com/identity/sign-in/web/devconsole-project.")
SEND_METHOD = {"method": "google.firebase.fcm.v1.FcmService.SendMessage", "service": "fcm.googleapis.com"}


@pytest.fixture
def world() -> FcmWorld:
    return make_world()


def envelope(code: int, status: str, message: str, error_code: str | None = None) -> dict[str, Any]:
    details = [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}]
    return {"error": {"code": code, "message": message, "status": status,
                      **({"details": details} if error_code else {})}}


def test_the_proxys_message_is_accepted_named_and_delivered(world: FcmWorld) -> None:
    reply = world.send()
    assert reply.status == 200
    name = body(reply)["name"]
    assert re.fullmatch(r"projects/pushsim-test/messages/0:\d{16}%[0-9a-f]{16}", name)
    accepted, delivered = reply.events
    assert isinstance(accepted, MessageAccepted) and isinstance(delivered, MessageDelivered)
    assert (accepted.name, accepted.api, accepted.phone_id, accepted.package) == (
        name, Api.V1, "phone-1", "com.mattermost.rnbeta")
    assert (delivered.message_id, delivered.token, delivered.data["ack_id"]) == (
        accepted.message_id, world.token, "a1")
    assert world.core.history.accepted() == [accepted] and world.core.delivered == (delivered,)


def test_validate_only_answers_fake_message_id_and_delivers_nothing(world: FcmWorld) -> None:
    reply = world.send(validate_only=True)
    assert body(reply) == {"name": "projects/pushsim-test/messages/fake_message_id"}
    [accepted] = reply.events
    assert isinstance(accepted, MessageAccepted) and accepted.validate_only and world.core.delivered == ()


def test_validate_only_still_checks_the_token(world: FcmWorld) -> None:
    world.registry.unregister(world.token)
    assert world.send(validate_only=True).status == 404


def test_the_project_number_works_in_the_url_too(world: FcmWorld) -> None:
    number = world.registry.project(PROJECT).number  # type: ignore[union-attr]
    assert body(world.send(project=number))["name"].startswith(f"projects/{number}/messages/")


# -- authentication and permission -------------------------------------------------------------
def test_no_authorization_header_is_401_credentials_missing(world: FcmWorld) -> None:
    reply = world.send(authorization=None)
    assert reply.status == 401
    assert dict(reply.headers)["WWW-Authenticate"] == 'Bearer realm="https://accounts.google.com/"'
    assert body(reply) == {"error": {
        "code": 401, "message": f"Request is missing required authentication credential. {AUTH_HINT}",
        "status": "UNAUTHENTICATED", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                                  "reason": "CREDENTIALS_MISSING", "domain": "googleapis.com",
                                                  "metadata": SEND_METHOD}]}}


def test_an_unknown_bearer_is_401_invalid_credentials(world: FcmWorld) -> None:
    error = body(world.send(authorization="Bearer ya29.c.made-up"))["error"]
    assert (error["code"], error["message"]) == (401, f"Request had invalid authentication credentials. {AUTH_HINT}")
    assert error["details"][0]["reason"] == "ACCESS_TOKEN_TYPE_UNSUPPORTED"


def test_an_expired_bearer_is_401_with_the_reason_pyfcm_looks_for(world: FcmWorld) -> None:
    authorization = world.bearer()
    assert world.send(authorization=authorization).status == 200
    world.clock.advance(3599)
    reply = world.send(authorization=authorization)
    assert reply.status == 401
    assert body(reply)["error"]["details"] == [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                                "reason": "ACCESS_TOKEN_EXPIRED", "domain": "googleapis.com",
                                                "metadata": SEND_METHOD}]
    assert world.send().status == 200  # a fresh grant at the new time works


def test_another_projects_account_is_403_permission_denied(world: FcmWorld) -> None:
    reply = world.send(authorization=world.bearer(world.other_account))
    error = body(reply)["error"]
    assert (reply.status, error["status"]) == (403, "PERMISSION_DENIED")
    assert error["message"] == ("Permission 'cloudmessaging.messages.create' denied on resource "
                                "'//cloudresourcemanager.googleapis.com/projects/pushsim-test' (or it may not exist).")
    assert error["details"][0]["reason"] == "IAM_PERMISSION_DENIED"
    assert world.send(world.message(token=world.other_token), project=OTHER_PROJECT,
                      authorization=world.bearer(world.other_account)).status == 200


def test_a_project_that_does_not_exist_is_403_too(world: FcmWorld) -> None:
    assert world.send(project="no-such-project").status == 403


def test_auth_is_checked_before_the_body(world: FcmWorld) -> None:
    assert world.send(raw=b"not json", authorization=None).status == 401
    assert world.send(raw=b"not json").status == 400


def test_an_oversized_body_is_refused_before_auth(world: FcmWorld) -> None:
    reply = world.core.send(HttpRequest(body=b"", oversized=True, path_project=PROJECT))
    assert (reply.status, body(reply)["error"]["message"]) == (
        400, "Request payload size exceeds the limit: 1048576 bytes.")


# -- registration tokens -----------------------------------------------------------------------
def test_an_uninstalled_apps_token_is_404_unregistered(world: FcmWorld) -> None:
    world.registry.uninstall("phone-1", "com.mattermost.rnbeta")
    reply = world.send()
    assert (reply.status, body(reply)) == (404, envelope(404, "NOT_FOUND", "Requested entity was not found.",
                                                         "UNREGISTERED"))
    [rejected] = reply.events
    assert isinstance(rejected, MessageRejected)
    assert (rejected.error_code, rejected.token, rejected.injected) == (FcmError.UNREGISTERED, world.token, False)


def test_another_senders_token_is_403_sender_id_mismatch(world: FcmWorld) -> None:
    reply = world.send(world.message(token=world.other_token))
    assert (reply.status, body(reply)) == (403, envelope(403, "PERMISSION_DENIED", "SenderId mismatch",
                                                         "SENDER_ID_MISMATCH"))


@pytest.mark.parametrize("token", ["", "not-a-token", "a" * 22 + ":APA91b" + "b" * 134])
def test_malformed_or_never_issued_tokens_are_400_invalid_argument(world: FcmWorld, token: str) -> None:
    error = body(world.send(world.message(token=token)))["error"]
    assert (error["code"], error["message"]) == (400, "The registration token is not a valid FCM registration token")
    assert error["details"][0] == {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                   "errorCode": "INVALID_ARGUMENT"}
    assert error["details"][1]["fieldViolations"][0]["field"] == "message.token"


def test_restricted_package_name_must_match_the_tokens_app(world: FcmWorld) -> None:
    assert world.send(world.message(android={"restricted_package_name": "com.mattermost.rnbeta"})).status == 200
    error = body(world.send(world.message(android={"restricted_package_name": OTHER_PACKAGE})))["error"]
    assert error["details"][1]["fieldViolations"][0]["field"] == "message.android.restricted_package_name"


def test_a_rotated_token_is_unregistered_and_the_new_one_works(world: FcmWorld) -> None:
    fresh = world.registry.refresh_token(world.token)
    assert world.send().status == 404
    assert world.send(world.message(token=fresh)).status == 200


def test_a_fid_target_is_resolved_like_a_token(world: FcmWorld) -> None:
    assert world.send({"fid": world.token, "data": {"a": "b"}}).status == 200


# -- injected faults ---------------------------------------------------------------------------
@pytest.mark.parametrize("code", list(FcmError), ids=str)
def test_every_fcm_error_code_can_be_injected_with_its_exact_envelope(world: FcmWorld, code: FcmError) -> None:
    world.core.faults.push(code)
    reply = world.send()
    error = body(reply)["error"]
    assert (reply.status, error["code"], error["status"], error["message"]) == (
        code.http_status, code.http_status, code.status.value, code.default_message)
    assert error["details"][0] == {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                   "errorCode": code.value}
    [rejected] = reply.events
    assert isinstance(rejected, MessageRejected) and (rejected.error_code, rejected.injected) == (code, True)
    assert world.send().status == 200  # one-shot: the next send goes through


def test_quota_exceeded_carries_a_quota_failure_and_retry_after_when_asked(world: FcmWorld) -> None:
    world.core.faults.push(FcmError.QUOTA_EXCEEDED, retry_after=30)
    reply = world.send()
    assert ("Retry-After", "30") in reply.headers
    assert body(reply)["error"]["details"][1]["@type"] == "type.googleapis.com/google.rpc.QuotaFailure"


def test_faults_for_n_requests_and_for_one_token(world: FcmWorld) -> None:
    world.core.faults.push(FcmError.UNAVAILABLE, times=2)
    world.core.faults.push(FcmError.INTERNAL, token=world.other_token)
    assert [world.send().status for _ in range(3)] == [503, 503, 200]
    [pending] = world.core.faults.pending
    assert (pending.error, pending.token, pending.remaining) == (FcmError.INTERNAL, world.other_token, 1)


def test_faults_apply_after_validation_so_bad_requests_do_not_use_them_up(world: FcmWorld) -> None:
    world.core.faults.push(FcmError.UNAVAILABLE)
    assert world.send(authorization=None).status == 401
    assert world.send(world.message(data={"from": "x"})).status == 400
    assert world.send().status == 503


def test_a_delay_fault_still_judges_the_message(world: FcmWorld) -> None:
    queued = world.core.faults.push_delay(0.25)
    assert (queued.kind, queued.delay) == (FaultKind.DELAY, 0.25)
    reply = world.send()
    assert (reply.status, reply.delay, reply.drop) == (200, 0.25, False)
    assert world.send().delay == 0.0


def test_a_drop_fault_processes_nothing(world: FcmWorld) -> None:
    world.core.faults.push_drop(token=world.token)
    reply = world.send()
    assert reply.drop
    [dropped] = reply.events
    assert isinstance(dropped, ConnectionDropped) and dropped.token == world.token
    assert world.core.history.received() == [] and world.core.delivered == ()
    assert world.send().status == 200


def test_bad_fault_arguments_are_refused(world: FcmWorld) -> None:
    with pytest.raises(ValueError, match="times must be at least 1"):
        world.core.faults.push(FcmError.INTERNAL, times=0)
    with pytest.raises(ValueError, match="delay must be"):
        world.core.faults.push_delay(float("nan"))
    with pytest.raises(ValueError, match="is not a valid FcmError"):
        world.core.faults.push("NOPE")  # type: ignore[arg-type]


# -- evidence ----------------------------------------------------------------------------------
def test_history_filters_and_reset_forgets_but_keeps_the_registry(world: FcmWorld) -> None:
    world.send()
    world.send(world.message(token=world.other_token))
    world.core.faults.push(FcmError.INTERNAL)
    history = world.core.history
    assert [type(v).__name__ for v in history.received()] == ["MessageAccepted", "MessageRejected"]
    assert len(history.rejected(error=FcmError.SENDER_ID_MISMATCH)) == 1
    assert history.rejected(error=FcmError.UNREGISTERED) == []
    assert len(history.accepted(token=world.token)) == 1 and history.accepted(project="other-project") == []
    world.core.reset()
    assert (len(history), world.core.faults.pending, world.core.delivered) == (0, (), ())
    assert world.send().status == 200  # tokens, accounts and registrations survive a reset

