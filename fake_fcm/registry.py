"""Firebase projects, their Android apps, service accounts and the registration tokens issued
to app installs: the phones' OS-private channel to FCM.

Rule: ids and tokens come from the injected ``rng``, time from the injected ``clock``. A token
belongs to one (phone, project, package) install; uninstalling kills it for good.
"""

from __future__ import annotations

import json
import random
import re
import string
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import ConfigError, UnknownRegistration

_URLSAFE = string.ascii_letters + string.digits + "-_"
_PROJECT_ID = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_PACKAGE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+")
# <instance id>:APA91b<blob>; lengths are loose, real tokens are about 163 characters.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{11,64}:APA91b[A-Za-z0-9_-]{20,400}")


class TokenProblem(StrEnum):
    """Why a registration token cannot receive a message from a given project/package."""

    MALFORMED = "malformed"
    UNKNOWN = "unknown"  # well-formed, but this FCM never issued it
    OTHER_SENDER = "other_sender"
    UNREGISTERED = "unregistered"
    WRONG_PACKAGE = "wrong_package"


@dataclass(frozen=True, slots=True, kw_only=True)
class Project:
    """A Firebase project; its number is the FCM sender id."""

    project_id: str
    number: str
    server_key: str  # the legacy API's "key=" credential


@dataclass(frozen=True, slots=True, kw_only=True)
class AndroidApp:
    """An Android app (package name) added to a Firebase project."""

    project_id: str
    package: str
    app_id: str  # mobilesdk_app_id, e.g. 1:123456789012:android:0123456789abcdef


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceAccount:
    """A service account of a project, with the RSA key Google would have generated for it."""

    project_id: str
    client_email: str
    client_id: str
    private_key_id: str
    private_key: rsa.RSAPrivateKey

    def info(self, token_uri: str) -> dict[str, str]:
        """The service-account JSON, as downloaded from the console, aimed at ``token_uri``."""
        pem = self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode("ascii")
        return {
            "type": "service_account", "project_id": self.project_id, "private_key_id": self.private_key_id,
            "private_key": pem, "client_email": self.client_email, "client_id": self.client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                                    + quote(self.client_email, safe=""),
            "universe_domain": "googleapis.com",  # any other value makes google-auth skip the token endpoint
        }

    def write(self, path: Path, *, token_uri: str) -> Path:
        """Write the service-account JSON file; returns ``path``."""
        path.write_text(json.dumps(self.info(token_uri), indent=2) + "\n")
        return path


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    """One app install's FCM registration."""

    token: str
    phone_id: str
    project_id: str
    package: str
    active: bool
    unregistered_at: float | None


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key, the kind Google issues for service accounts."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Registry:
    """Projects, apps, service accounts and registration tokens of one fake FCM."""

    def __init__(self, *, rng: random.Random, clock: Callable[[], float]) -> None:
        self.rng = rng
        self._clock = clock
        self._projects: dict[str, Project] = {}
        self._apps: dict[tuple[str, str], AndroidApp] = {}
        self._accounts: dict[str, ServiceAccount] = {}
        self._tokens: dict[str, Registration] = {}
        self._installs: dict[tuple[str, str, str], str] = {}  # (phone, project, package) -> live token

    # -- set-up ------------------------------------------------------------------------------
    def add_project(self, project_id: str, *, number: str | None = None) -> Project:
        """A new Firebase project; ``number`` (the sender id) is drawn from the rng if not given."""
        if not _PROJECT_ID.fullmatch(project_id):
            raise ConfigError(f"{project_id!r} is not a valid project id (6-30 chars, a-z 0-9 -)")
        if project_id in self._projects:
            raise ConfigError(f"project {project_id!r} already exists")
        number = number or str(self.rng.randrange(10**11, 10**12))
        if not number.isdigit() or any(p.number == number for p in self._projects.values()):
            raise ConfigError(f"project number {number!r} is not a fresh string of digits")
        key = f"AAAA{self._chars(7)}:APA91b{self._chars(134)}"
        self._projects[project_id] = Project(project_id=project_id, number=number, server_key=key)
        return self._projects[project_id]

    def add_app(self, project_id: str, package: str) -> AndroidApp:
        """Add Android app ``package`` to a project (needed before installs can register)."""
        project = self._require_project(project_id)
        if not _PACKAGE.fullmatch(package):
            raise ConfigError(f"{package!r} is not a valid Android package name")
        app = AndroidApp(project_id=project_id, package=package,
                         app_id=f"1:{project.number}:android:{self.rng.getrandbits(64):016x}")
        return self._apps.setdefault((project_id, package), app)

    def add_service_account(self, project_id: str, *, key: rsa.RSAPrivateKey | None = None,
                            name: str = "firebase-adminsdk") -> ServiceAccount:
        """A new service account of ``project_id`` (with a fresh RSA-2048 key unless ``key``)."""
        self._require_project(project_id)
        suffix = "".join(self.rng.choices(string.ascii_lowercase + string.digits, k=5))
        email = f"{name}-{suffix}@{project_id}.iam.gserviceaccount.com"
        account = ServiceAccount(project_id=project_id, client_email=email,
                                 client_id=str(self.rng.randrange(10**20, 10**21)),
                                 private_key_id=f"{self.rng.getrandbits(160):040x}",
                                 private_key=key if key is not None else new_rsa_key())
        self._accounts[email] = account
        return account

    def remove_service_account(self, client_email: str) -> None:
        """Delete a service account: its grants are refused from now on."""
        if self._accounts.pop(client_email, None) is None:
            raise ConfigError(f"no service account {client_email!r}")

    # -- installs ----------------------------------------------------------------------------
    def register(self, phone_id: str, project_id: str, package: str) -> str:
        """The install's token: the live one for (phone, project, package), or a new one."""
        if (project_id, package) not in self._apps:
            raise ConfigError(f"app {package!r} was not added to project {project_id!r}")
        live = self._installs.get((phone_id, project_id, package))
        if live is not None:
            return live
        while (token := f"{self._chars(22)}:APA91b{self._chars(134)}") in self._tokens:
            pass
        self._tokens[token] = Registration(token=token, phone_id=phone_id, project_id=project_id,
                                           package=package, active=True, unregistered_at=None)
        self._installs[(phone_id, project_id, package)] = token
        return token

    def unregister(self, token: str) -> None:
        """The app was uninstalled (or its token deleted): later sends get UNREGISTERED."""
        record = self._tokens.get(token)
        if record is None:
            raise UnknownRegistration(f"no registration token {token[:24]}…")
        if record.active:
            self._tokens[token] = replace(record, active=False, unregistered_at=self._clock())
            del self._installs[(record.phone_id, record.project_id, record.package)]

    def uninstall(self, phone_id: str, package: str) -> tuple[str, ...]:
        """Uninstall ``package`` from a phone: every project's token of that install dies."""
        tokens = tuple(t for (phone, _, pkg), t in self._installs.items() if phone == phone_id and pkg == package)
        for token in tokens:
            self.unregister(token)
        return tokens

    def refresh_token(self, token: str) -> str:
        """Firebase rotated an install's token: the old one is unregistered, a new one issued."""
        record = self._tokens.get(token)
        if record is None or not record.active:
            raise UnknownRegistration(f"no live registration token {token[:24]}…")
        self.unregister(token)
        return self.register(record.phone_id, record.project_id, record.package)

    # -- look-ups ----------------------------------------------------------------------------
    def project(self, id_or_number: str) -> Project | None:
        """A project by id or by number (the v1 URL accepts both)."""
        found = self._projects.get(id_or_number)
        if found is None and id_or_number.isdigit():
            found = next((p for p in self._projects.values() if p.number == id_or_number), None)
        return found

    def project_by_server_key(self, key: str) -> Project | None:
        """The project whose legacy server key is ``key``."""
        return next((p for p in self._projects.values() if p.server_key == key), None)

    def projects(self) -> tuple[Project, ...]:
        """Every project, in creation order."""
        return tuple(self._projects.values())

    def apps(self, project_id: str | None = None) -> tuple[AndroidApp, ...]:
        """Every Android app (of one project if given)."""
        return tuple(a for a in self._apps.values() if project_id is None or a.project_id == project_id)

    def accounts(self, project_id: str | None = None) -> tuple[ServiceAccount, ...]:
        """Every service account (of one project if given)."""
        return tuple(a for a in self._accounts.values() if project_id is None or a.project_id == project_id)

    def account(self, client_email: str) -> ServiceAccount | None:
        """A service account by its email."""
        return self._accounts.get(client_email)

    def lookup(self, token: str) -> Registration | None:
        """The registration for ``token``, live or not."""
        return self._tokens.get(token)

    def registrations(self) -> tuple[Registration, ...]:
        """Every registration, in issue order."""
        return tuple(self._tokens.values())

    def is_live(self, token: str) -> bool:
        """True while ``token``'s app is installed."""
        record = self._tokens.get(token)
        return record is not None and record.active

    def resolve(self, token: str, *, project: Project, package: str | None) -> Registration | TokenProblem:
        """The registration ``project`` may send to, or why it may not."""
        record = self._tokens.get(token)
        if record is None:  # every token this registry issued is well-formed, so only a miss needs the shape check
            return TokenProblem.UNKNOWN if _TOKEN.fullmatch(token) else TokenProblem.MALFORMED
        if record.project_id != project.project_id:
            return TokenProblem.OTHER_SENDER
        if not record.active:
            return TokenProblem.UNREGISTERED
        if package is not None and package != record.package:
            return TokenProblem.WRONG_PACKAGE
        return record

    def _require_project(self, project_id: str) -> Project:
        project = self._projects.get(project_id)
        if project is None:
            raise ConfigError(f"no project {project_id!r}; add_project first")
        return project

    def _chars(self, n: int) -> str:
        return "".join(self.rng.choices(_URLSAFE, k=n))
