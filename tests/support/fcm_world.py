"""Builders for fake_fcm tests: a core with two projects, an app, service accounts and tokens,
on a frozen clock (h11 ``ConnectionPair`` spirit: the whole fake, no sockets)."""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from fake_fcm import (BearerProblem, Connectivity, FcmCore, HttpRequest, LegacyMode, Registry, Reply, ServiceAccount,
                      new_rsa_key)
from tests.support.fcm_jwt import FCM_SCOPE, assertion, grant_form

NOW = 1_767_225_600.0
PROJECT, OTHER_PROJECT = "pushsim-test", "other-project"
PACKAGE, OTHER_PACKAGE = "com.mattermost.rnbeta", "com.example.other"
FORM = "application/x-www-form-urlencoded"


class FakeClock:
    """A frozen clock that moves only when told (kept here so these tests need only fake_fcm)."""

    def __init__(self, start: float = NOW) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@functools.cache
def rsa_key(index: int) -> rsa.RSAPrivateKey:
    """RSA keys are slow to make: each test module shares a few, by index."""
    return new_rsa_key()


@dataclass
class Reach:
    """A settable ``Reachability``: phones are online unless told otherwise."""

    states: dict[str, Connectivity] = field(default_factory=dict)

    def connectivity(self, phone_id: str) -> Connectivity:
        return self.states.get(phone_id, Connectivity.ONLINE)


@dataclass
class FcmWorld:
    """A core plus handles on everything a test wants to poke."""

    clock: FakeClock
    registry: Registry
    core: FcmCore
    reach: Reach
    account: ServiceAccount
    other_account: ServiceAccount  # owns OTHER_PROJECT
    token: str  # phone-1's PACKAGE install in PROJECT
    other_token: str  # phone-2's install in OTHER_PROJECT
    cached_bearer: str | None = None

    def grant(self, account: ServiceAccount | None = None, *, scope: str = FCM_SCOPE, **overrides: Any) -> Reply:
        """POST /token with a correct assertion for ``account`` (fields overridable)."""
        account = account or self.account
        claims: dict[str, Any] = {"iss": account.client_email, "kid": account.private_key_id,
                                  "iat": self.clock(), "scope": scope, **overrides}
        key = claims.pop("key", account.private_key)
        return self.core.token(HttpRequest(body=grant_form(assertion(key, **claims)), content_type=FORM))

    def bearer(self, account: ServiceAccount | None = None) -> str:
        """A fresh access token for ``account``, as an Authorization header value."""
        reply = self.grant(account)
        assert reply.status == 200, reply.body
        return f"Bearer {json.loads(reply.body)['access_token']}"

    def send(self, message: dict[str, Any] | None = None, *, project: str = PROJECT, authorization: str | None = "",
             validate_only: bool | None = None, raw: bytes | None = None) -> Reply:
        """POST a v1 send; ``authorization=""`` means a fresh valid bearer, None means no header."""
        body: dict[str, Any] = {"message": message if message is not None else self.message()}
        if validate_only is not None:
            body["validate_only"] = validate_only
        auth = self._live_bearer() if authorization == "" else authorization
        return self.core.send(HttpRequest(body=raw if raw is not None else json.dumps(body).encode(),
                                          authorization=auth, content_type="application/json",
                                          path_project=project))

    def _live_bearer(self) -> str:
        # RSA signing is the slow part of a grant: reuse one bearer while the fake still takes it.
        if self.cached_bearer is None or isinstance(self.core.tokens.authenticate(self.cached_bearer), BearerProblem):
            self.cached_bearer = self.bearer()
        return self.cached_bearer

    def message(self, **fields: Any) -> dict[str, Any]:
        """What the Mattermost push proxy sends (spec §5.2), to ``self.token`` unless overridden."""
        return {"token": self.token, "android": {"priority": "high"},
                "data": {"ack_id": "a1", "type": "message", "post_id": "p1", "message": "Hello"}, **fields}


def body(reply: Reply) -> Any:
    """The reply's JSON body."""
    return json.loads(reply.body)


def make_world(*, legacy: LegacyMode = LegacyMode.SHUT_DOWN, seed: int = 7, start: float = NOW) -> FcmWorld:
    """Two projects (each with an app and an account) and one install in each; the clock starts at
    ``start`` (real clients sign with the wall clock, so their tests start it at ``time.time()``)."""
    clock = FakeClock(start)
    registry = Registry(rng=random.Random(seed), clock=clock)
    reach = Reach()
    for project, package in ((PROJECT, PACKAGE), (OTHER_PROJECT, OTHER_PACKAGE)):
        registry.add_project(project)
        registry.add_app(project, package)
    registry.add_app(PROJECT, OTHER_PACKAGE)
    account = registry.add_service_account(PROJECT, key=rsa_key(0))
    other = registry.add_service_account(OTHER_PROJECT, key=rsa_key(1))
    core = FcmCore(registry=registry, clock=clock, reachability=reach, legacy=legacy)
    return FcmWorld(clock=clock, registry=registry, core=core, reach=reach, account=account, other_account=other,
                    token=registry.register("phone-1", PROJECT, PACKAGE),
                    other_token=registry.register("phone-2", OTHER_PROJECT, OTHER_PACKAGE))
