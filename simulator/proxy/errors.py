"""Errors raised by the push proxy core.

The adapter never sees these on the hot path: ``plan_send`` / ``plan_ack`` turn them into the
proxy's FAIL responses. They exist for callers that decode bodies directly (tests, the fake
chat server reading what it sent).
"""

from __future__ import annotations


class ProxyError(Exception):
    """Base class for push proxy core errors."""


class BadRequestBody(ProxyError):
    """A body the real proxy's Go JSON decoder would reject.

    ``str(error)`` is the Go error text, the part the proxy puts after
    ``"Failed to read message body: "`` (or ``"Failed to read ack body: "``).
    """


class ProxyConfigError(ProxyError, ValueError):
    """``mattermost-push-proxy.json`` cannot be used; the message names the file and the key."""


class TargetInitError(ProxyError):
    """One push target (a config ``Type``) cannot be initialized; the proxy logs it and skips it.

    ``str(error)`` is the Go error text the real proxy logs with ``Failed to initialize client``.
    """
