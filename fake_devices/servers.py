"""Adding a server in the app (mattermost-push.md §8.1–§8.2): URL sanitising, what the ping and
the client config mean, and the exact texts the user sees. No I/O: the phone does the requests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .errors import CertificateInvalid, ConnectFailed, LinkFailure, ServerRefused
from .models import Alert
from .signature import ServerInfo

CANNOT_CONNECT = "Cannot connect to the server."
CLIENT_CERT_REQUIRED = "Server requires client certificate for authentication."
URL_EMPTY = "Please enter a valid server URL"
URL_SCHEME = "URL must start with http:// or https://"
PRE_AUTH_REJECTED = "Authentication secret is invalid. Try again or contact your admin."
ALREADY_ADDED = "You are already connected to this server."
MISSING_DIAGNOSTIC_ID = ("A DiagnosticId value is missing for this server. Contact your system admin to review "
                         "this value and restart the server.")
INVALID_SSL_TITLE = "Invalid SSL certificate"
INVALID_SSL_BODY = ("The certificate for this server is invalid.\nYou might be connecting to a server that is "
                    "pretending to be “{hostname}” which could put your confidential information at risk.")
CANNOT_RECEIVE = Alert(title="Notifications cannot be received from this server",
                       body="Due to the configuration of this server, notifications cannot be received in the "
                            "mobile app. Contact your system admin for more information.")
COULD_NOT_RECEIVE = Alert(title="Notifications could not be received from this server",
                          body="This server was unable to receive push notifications for an unknown reason. "
                               "This will be attempted again next time you connect.")
PING_TIMEOUT_S = 5.0


def sanitize_url(raw: str) -> tuple[str, ...]:
    """The URLs to try, in order: no scheme means https; an http URL is tried as https first."""
    url = raw.strip()
    if not url.rstrip("/"):
        raise ConnectFailed(Alert(title=URL_EMPTY))
    scheme, sep, rest = url.partition("://")
    rest = rest.rstrip("/")
    if not sep:
        return (f"https://{url.rstrip('/')}",)
    if scheme.lower() not in ("http", "https") or not rest:
        raise ConnectFailed(Alert(title=URL_SCHEME))
    if scheme.lower() == "http":
        return f"https://{rest}", f"http://{rest}"
    return (f"https://{rest}",)


def failure_alert(failure: LinkFailure, url: str) -> Alert:
    """What the server screen shows when the ping to ``url`` failed."""
    if isinstance(failure, CertificateInvalid):
        return Alert(title=INVALID_SSL_TITLE, body=INVALID_SSL_BODY.format(hostname=failure.host or host_of(url)))
    if isinstance(failure, ServerRefused):
        if failure.status == 401:
            return Alert(title=CLIENT_CERT_REQUIRED)
        if failure.status == 403 and failure.reject_reason == "pre-auth":
            return Alert(title=PRE_AUTH_REJECTED)
    return Alert(title=CANNOT_CONNECT)


def host_of(url: str) -> str:
    """The host name of ``url``."""
    return urlsplit(url).hostname or url


def push_verification(ping: Mapping[str, Any]) -> tuple[str, Alert | None]:
    """``CanReceiveNotifications`` from the ping, and the alert it raises (None: verified)."""
    value = ping.get("CanReceiveNotifications")
    if value is None or value == "true":  # old servers omit the field: treated as verified
        return ("" if value is None else "true"), None
    if value == "false":
        return "false", CANNOT_RECEIVE
    return str(value), COULD_NOT_RECEIVE


def server_info(url: str, config: Mapping[str, Any]) -> ServerInfo:
    """The server record the app keeps; refused without a ``DiagnosticId`` (§8.1)."""
    diagnostic_id = config.get("DiagnosticId")
    if not isinstance(diagnostic_id, str) or not diagnostic_id:
        raise ConnectFailed(Alert(title=MISSING_DIAGNOSTIC_ID))
    key, version = config.get("AsymmetricSigningPublicKey", ""), config.get("Version", "")
    return ServerInfo(url=url, diagnostic_id=diagnostic_id, signing_key=key if isinstance(key, str) else "",
                      version=version if isinstance(version, str) else "")
