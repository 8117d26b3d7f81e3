"""Sessions: logins, bearer tokens, attached devices, and which sessions receive pushes (§7.8, §7.11).

Rule: no I/O; time from the injected clock, ids and tokens from the injected ``IdFactory``.
A device id lives in at most one session of a user: login and attach revoke the others.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterator, Mapping

from simulator.chat.errors import AppError, ErrorCode
from simulator.chat.ids import IdFactory
from simulator.chat.models import Session, frozen_map

_HOUR_MS = 3_600_000


class SessionStore:
    """Every live session, by id; tokens are looked up through an index."""

    def __init__(self, *, clock: Callable[[], float], ids: IdFactory) -> None:
        self._clock, self._ids = clock, ids
        self._sessions: dict[str, Session] = {}
        self._by_token: dict[str, str] = {}
        self._by_user: dict[str, dict[str, None]] = {}  # user id -> session ids, oldest first

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _save(self, session: Session) -> Session:
        self._sessions[session.id] = session
        self._by_token[session.token] = session.id
        self._by_user.setdefault(session.user_id, {})[session.id] = None
        return session

    def _drop(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            self._by_token.pop(session.token, None)
            self._by_user[session.user_id].pop(session_id, None)

    def create(self, user_id: str, *, device_id: str, hours: int) -> Session:
        """A new session; a device id first evicts that device's other sessions of the user."""
        if device_id:
            self.revoke_device(user_id, device_id, keep="")
        now = self._now_ms()
        return self._save(Session(id=self._ids.new_id(), token=self._ids.new_id(), user_id=user_id,
                                  device_id=device_id, expires_at=now + hours * _HOUR_MS, create_at=now,
                                  props=frozen_map({})))

    def authenticate(self, token: str) -> Session:
        """The live session for a bearer token; unknown or expired -> 401 (expired ones are removed)."""
        session = self._sessions.get(self._by_token.get(token, ""))
        if session is not None and session.is_expired(self._now_ms()):
            self._drop(session.id)
            session = None
        if session is None:
            raise AppError.of(ErrorCode.SESSION_EXPIRED)
        return session

    def revoke_device(self, user_id: str, device_id: str, *, keep: str) -> None:
        """Revoke the user's sessions holding ``device_id``, except ``keep``."""
        for sid in [s.id for s in self.of_user(user_id) if s.device_id == device_id and s.id != keep]:
            self._drop(sid)

    def attach(self, session: Session, device_id: str, *, hours: int, props: Mapping[str, str] | None = None,
               ) -> Session:
        """Bind ``device_id`` to a live session, evict its other sessions, renew as mobile; keep extra props."""
        live = self.authenticate(session.token)
        if not device_id:
            raise AppError.of(ErrorCode.INVALID_BODY_PARAM, name="device_id")
        self.revoke_device(live.user_id, device_id, keep=live.id)
        # last_removed_device_id stays: the server's session query keeps excluding that token.
        return self._save(replace(live, device_id=device_id, expires_at=self._now_ms() + hours * _HOUR_MS,
                                  props=frozen_map({**live.props, **(props or {})})))

    def revoke(self, session_id: str) -> None:
        """Revoke one session (no push reaches its device afterwards)."""
        self._drop(session_id)

    def get(self, session_id: str) -> Session | None:
        """The current state of a session, or None once revoked."""
        return self._sessions.get(session_id)

    def of_user(self, user_id: str) -> list[Session]:
        """All sessions of a user, oldest first."""
        return [self._sessions[sid] for sid in self._by_user.get(user_id, {})]

    def push_targets(self, user_id: str, *, skip: str = "") -> Iterator[Session]:
        """``getMobileAppSessions`` minus expired ones and ``skip`` (the session that caused a clear)."""
        now = self._now_ms()
        return (s for s in self.of_user(user_id) if s.receives_pushes(now) and s.id != skip)

    def expired_unnotified(self, *, within_ms: int) -> list[Session]:
        """Mobile sessions that expired in the last ``within_ms`` and were not told so yet (``ExpiredNotify``)."""
        now = self._now_ms()
        return [s for s in self._sessions.values()
                if s.device_id and s.expires_at and now - within_ms <= s.expires_at < now
                and s.props.get("expired_notify") != "true"]

    def mark_device_removed(self, session_id: str) -> None:
        """The proxy answered REMOVE: remember the dead device id (v10.5+ servers, §7.8)."""
        session = self._sessions.get(session_id)
        if session is not None:  # it may have been revoked while the push was in flight
            self.update_props(session_id, {"last_removed_device_id": session.device_id})

    def update_props(self, session_id: str, props: Mapping[str, str]) -> None:
        """Merge session props (a revoked session is left alone)."""
        session = self._sessions.get(session_id)
        if session is not None:
            self._save(replace(session, props=frozen_map({**session.props, **props})))
