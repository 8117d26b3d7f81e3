"""Projects, apps, service accounts and registration tokens (the phones' channel to FCM)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fake_fcm import ConfigError, Registry, TokenProblem, UnknownRegistration
from tests.support.fcm_world import NOW, OTHER_PACKAGE, PACKAGE, PROJECT, FakeClock, rsa_key

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}:APA91b[A-Za-z0-9_-]{134}")


@pytest.fixture
def registry() -> Registry:
    found = Registry(rng=random.Random(3), clock=FakeClock(NOW))
    found.add_project(PROJECT, number="123456789012")
    found.add_app(PROJECT, PACKAGE)
    return found


def test_tokens_look_like_fcm_tokens_and_are_stable_per_install(registry: Registry) -> None:
    token = registry.register("phone-1", PROJECT, PACKAGE)
    assert TOKEN_SHAPE.fullmatch(token) and len(token) == 163
    assert registry.register("phone-1", PROJECT, PACKAGE) == token  # getToken() again: same token
    assert registry.register("phone-2", PROJECT, PACKAGE) != token


def test_the_same_seed_issues_the_same_ids() -> None:
    def build() -> tuple[str, str, str]:
        registry = Registry(rng=random.Random(9), clock=FakeClock())
        project = registry.add_project("seeded-project")
        registry.add_app("seeded-project", PACKAGE)
        return project.number, project.server_key, registry.register("p", "seeded-project", PACKAGE)
    assert build() == build()


def test_uninstall_kills_the_token_and_a_reinstall_gets_a_new_one(registry: Registry) -> None:
    token = registry.register("phone-1", PROJECT, PACKAGE)
    project = registry.project(PROJECT)
    assert project is not None
    assert registry.resolve(token, project=project, package=None).phone_id == "phone-1"  # type: ignore[union-attr]
    assert registry.uninstall("phone-1", PACKAGE) == (token,)
    assert registry.resolve(token, project=project, package=None) is TokenProblem.UNREGISTERED
    record = registry.lookup(token)
    assert record is not None and (record.active, record.unregistered_at) == (False, NOW)
    assert registry.register("phone-1", PROJECT, PACKAGE) != token


def test_resolve_names_every_problem(registry: Registry) -> None:
    registry.add_project("other-project")
    registry.add_app("other-project", OTHER_PACKAGE)
    registry.add_app(PROJECT, OTHER_PACKAGE)
    mine = registry.register("phone-1", PROJECT, PACKAGE)
    theirs = registry.register("phone-1", "other-project", OTHER_PACKAGE)
    project = registry.project(PROJECT)
    assert project is not None
    assert registry.resolve("garbage", project=project, package=None) is TokenProblem.MALFORMED
    assert registry.resolve("x" * 22 + ":APA91b" + "y" * 134, project=project, package=None) is TokenProblem.UNKNOWN
    assert registry.resolve(theirs, project=project, package=None) is TokenProblem.OTHER_SENDER
    assert registry.resolve(mine, project=project, package=OTHER_PACKAGE) is TokenProblem.WRONG_PACKAGE


def test_projects_are_found_by_id_or_number_and_by_server_key(registry: Registry) -> None:
    project = registry.project(PROJECT)
    assert project is not None and registry.project("123456789012") is project
    assert registry.project_by_server_key(project.server_key) is project
    assert project.server_key.startswith("AAAA") and ":APA91b" in project.server_key
    assert registry.project("999999999999") is None and registry.project_by_server_key("AIzaNope") is None


@pytest.mark.parametrize(("call", "match"), [
    (lambda r: r.add_project("Bad_Id"), "not a valid project id"),
    (lambda r: r.add_project(PROJECT), "already exists"),
    (lambda r: r.add_project("fresh-project", number="123456789012"), "not a fresh string of digits"),
    (lambda r: r.add_app("nope-project", PACKAGE), "no project"),
    (lambda r: r.add_app(PROJECT, "not a package"), "not a valid Android package"),
    (lambda r: r.register("phone-1", PROJECT, "com.not.added"), "was not added"),
    (lambda r: r.remove_service_account("nobody@x"), "no service account"),
])
def test_set_up_mistakes_are_config_errors(registry: Registry, call: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        call(registry)  # type: ignore[operator]


def test_unknown_tokens_cannot_be_unregistered_or_refreshed(registry: Registry) -> None:
    with pytest.raises(UnknownRegistration):
        registry.unregister("nope")
    token = registry.register("phone-1", PROJECT, PACKAGE)
    registry.unregister(token)
    with pytest.raises(UnknownRegistration):
        registry.refresh_token(token)


def test_service_account_json_has_every_field_google_auth_and_firebase_admin_read(registry: Registry,
                                                                               tmp_path: Path) -> None:
    account = registry.add_service_account(PROJECT, key=rsa_key(0))
    path = account.write(tmp_path / "sa.json", token_uri="https://127.0.0.1:4443/token")
    info = json.loads(path.read_text())
    assert set(info) == {"type", "project_id", "private_key_id", "private_key", "client_email", "client_id",
                         "auth_uri", "token_uri", "auth_provider_x509_cert_url", "client_x509_cert_url",
                         "universe_domain"}
    assert (info["type"], info["project_id"], info["token_uri"], info["universe_domain"]) == (
        "service_account", PROJECT, "https://127.0.0.1:4443/token", "googleapis.com")
    assert re.fullmatch(r"firebase-adminsdk-[a-z0-9]{5}@pushsim-test\.iam\.gserviceaccount\.com", info["client_email"])
    assert re.fullmatch(r"[0-9a-f]{40}", info["private_key_id"]) and info["client_id"].isdigit()
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----\n")  # PKCS#8, as google-auth expects
    key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert registry.account(info["client_email"]) is account and registry.accounts(PROJECT) == (account,)


def test_without_a_key_a_fresh_rsa_2048_key_is_made() -> None:
    registry = Registry(rng=random.Random(1), clock=FakeClock())
    registry.add_project("solo-project")
    account = registry.add_service_account("solo-project")
    assert account.private_key.key_size == 2048 and registry.apps() == ()
