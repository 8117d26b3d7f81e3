"""The fake Mattermost server: a sans-I/O core (``ChatCore``), its push hub (``PushGateway``) and its
HTTPS/websocket adapter (``ChatServer``), faithful to the server's push pipeline (spec §7).

Backdoor verbs live on ``ChatCore`` (create users/teams/channels, seed fake people, change settings);
the REST API and the websocket are what real clients (the emulated app, mattermostdriver) use.
"""

from __future__ import annotations

from .core import ChatCore
from .errors import AppError, ErrorCode
from .ids import IdFactory
from .logs import ServerLog
from .models import (HPNS_URL, TPNS_URL, ChatConfig, ContentsMode, LogLevel, OutgoingPush, PushDecision, SkipReason,
                     Status, StatusChanged)
from .pusher import PushGateway
from .server import ChatServer
from .settings import PushServerOption

__all__ = [
    "AppError", "ChatConfig", "ChatCore", "ChatServer", "ContentsMode", "ErrorCode", "HPNS_URL", "IdFactory",
    "LogLevel", "OutgoingPush", "PushDecision", "PushGateway", "PushServerOption", "ServerLog", "SkipReason",
    "Status", "StatusChanged", "TPNS_URL",
]
