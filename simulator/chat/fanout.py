"""Fan-out: one push per device session, each with a fresh ack id and its own signature (§7.8, §7.12).

Rule: no I/O; ack ids come from the injected ``IdFactory``, signatures from the injected signer
(an ES256 JWT over ``{ack_id, device_id}`` with the server's asymmetric signing key).
"""

from __future__ import annotations

from typing import Callable, Mapping

from simulator.chat import notify
from simulator.chat.ids import IdFactory
from simulator.chat.models import OutgoingPush, Session
from simulator.chat.sessions import SessionStore

Signer = Callable[[dict[str, str]], str]


class FanOut:
    """Turns one user's notification fields into the per-session JSON bodies for the proxy."""

    def __init__(self, *, sessions: SessionStore, ids: IdFactory, signer: Signer | None, server_id: str) -> None:
        self._sessions, self._ids, self._signer, self.server_id = sessions, ids, signer, server_id

    def to_user(self, fields: Mapping[str, object], user_id: str, *, skip_session: str = "") -> list[OutgoingPush]:
        """``sendPushNotificationToAllSessions``: every live device session but ``skip_session``."""
        return [self.to_session(fields, session)
                for session in self._sessions.push_targets(user_id, skip=skip_session)]

    def to_session(self, fields: Mapping[str, object], session: Session) -> OutgoingPush:
        """One session's push: its own ack id and signature."""
        platform, token = notify.split_device_id(session.device_id)
        ack_id = self._ids.new_id()
        signature = self._signer({"ack_id": ack_id, "device_id": token}) if self._signer else ""
        note = notify.wire({**fields, "ack_id": ack_id, "platform": platform, "device_id": token,
                            "server_id": self.server_id, "signature": signature})
        return OutgoingPush(session_id=session.id, user_id=session.user_id, notification=note)

    def test(self, device_id: str) -> dict[str, object]:
        """``SendTestPushNotification``'s body: no ack id, no signature, badge -1, version "2"."""
        platform, token = notify.split_device_id(device_id)
        return notify.wire({"platform": platform, "device_id": token, "server_id": self.server_id,
                            "type": "test", "version": "2", "badge": -1})
