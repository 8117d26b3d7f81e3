"""One phone's notification centre and in-app banners (the aiosmtpd "box"), and the path a push
takes to get there: decide (receiver/android), ack, fetch id-loaded content, apply."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from .android import merge_id_loaded_android, receive_android
from .errors import LinkFailure, Unreachable
from .events import NotificationShown, NotificationsCleared, PushReceived
from .models import Notification, Platform
from .receiver import IOS_ACK_BACKOFF, Reception, merge_id_loaded_ios, receive_ios
from .seams import ServerLink, Sleep, Spawn

if TYPE_CHECKING:
    from .phone import AppInstance, Phone


class Inbox:
    """What one phone shows, and the code that puts pushes there."""

    __slots__ = ("_phone", "_link", "_spawn", "_sleep", "_clock", "_publish", "entries", "banners", "_held")

    def __init__(self, phone: Phone, *, link: ServerLink, spawn: Spawn, sleep: Sleep, clock: Callable[[], float],
                 publish: Callable[[object], None]) -> None:
        self._phone, self._link, self._spawn, self._sleep = phone, link, spawn, sleep
        self._clock, self._publish = clock, publish
        self.entries: list[Notification] = []
        self.banners: list[Notification] = []
        self._held: list[tuple[AppInstance, Mapping[str, Any], str]] = []  # deferred by Doze

    # -- receiving ---------------------------------------------------------------------------
    def receive(self, inst: AppInstance, payload: Mapping[str, Any], *, priority: str = "high") -> Reception:
        """Decide and apply one push; an id-loaded one is finished in the background after its ack."""
        now = self._clock()
        verdict = self._decide(inst, payload, now, priority=priority, acked=False)
        if verdict.deferred:
            self._held.append((inst, payload, priority))
        elif verdict.fetch and verdict.ack is not None:
            self._spawn(self._fetch_then_apply(inst, payload, verdict.ack, priority))
        else:
            self._record(inst, payload, verdict, now)
        return verdict

    def _decide(self, inst: AppInstance, payload: Mapping[str, Any], now: float, *, priority: str,
                acked: bool) -> Reception:
        phone = self._phone
        common: dict[str, Any] = dict(state=inst.state, app=inst.build, now=now,
                                      channel_on_screen=inst.channel_on_screen, server=inst.server, token=inst.token,
                                      permission=phone.effective_permission(inst), acked=acked)
        if phone.platform is Platform.IOS:
            return receive_ios(payload, **common)
        return receive_android(payload, power=phone.power, priority=priority, **common)

    def release(self) -> list[Reception]:
        """The phone left Doze: the messages FCM held arrive now, oldest first."""
        held, self._held = self._held, []
        return [self.receive(inst, payload, priority=priority) for inst, payload, priority in held]

    async def _fetch_then_apply(self, inst: AppInstance, payload: Mapping[str, Any], ack: Mapping[str, Any],
                                priority: str) -> None:
        ios = self._phone.platform is Platform.IOS
        response = await self._send_ack(inst, ack, backoff=IOS_ACK_BACKOFF if ios else ())
        merged: Mapping[str, Any] = merge_id_loaded_ios(payload, response) if ios else \
            merge_id_loaded_android(payload, response)
        now = self._clock()
        self._record(inst, merged, self._decide(inst, merged, now, priority=priority, acked=True), now)

    async def _send_ack(self, inst: AppInstance, ack: Mapping[str, Any], *,
                        backoff: tuple[float, ...] = ()) -> Mapping[str, Any] | None:
        """POST the ack; retry after each ``backoff`` delay on network errors only (§8.4)."""
        server_url, token = inst.server_url, inst.session_token
        for delay in (0.0, *backoff):
            if delay:
                await self._sleep(delay)
            try:
                return await self._link.ack(server_url=server_url, token=token, ack=ack)
            except Unreachable:
                continue
            except LinkFailure:
                return None  # the server answered: an error is final, and the generic text stays
        return None

    def _record(self, inst: AppInstance, payload: Mapping[str, Any], verdict: Reception, now: float) -> None:
        self._publish(PushReceived(at=now, phone=self._phone.name, token=inst.token,
                                   push_type=str(payload.get("type", "")), ack_id=str(payload.get("ack_id", "")),
                                   post_id=str(payload.get("post_id", "")), app_state=inst.state,
                                   outcome=verdict.outcome))
        self._apply(inst, verdict, now)

    def _apply(self, inst: AppInstance, verdict: Reception, now: float) -> None:
        if verdict.badge is not None:
            inst.badge = verdict.badge
        if verdict.show is not None:
            self._show(verdict.show, now)
        if verdict.in_app_banner is not None:
            self.banners.append(verdict.in_app_banner)
        if verdict.clear_channel:
            self._clear(verdict.clear_channel, verdict.clear_root, now)
        if verdict.ack is not None and not verdict.fetch and inst.server_url:
            self._spawn(self._send_ack(inst, verdict.ack))
        if verdict.log_out:
            self._spawn(self._phone.end_session(inst))

    def _show(self, note: Notification, now: float) -> None:
        if self._phone.platform is Platform.ANDROID and note.post_id:
            # Android's notification id is a hash of the post id: a repeat replaces the entry.
            self.entries = [n for n in self.entries if not (n.app == note.app and n.post_id == note.post_id)]
        self.entries.append(note)
        self._publish(NotificationShown(at=now, phone=self._phone.name, notification=note))

    def _clear(self, channel_id: str, root_id: str, now: float) -> None:
        def hit(n: Notification) -> bool:
            in_scope = not root_id or n.root_id == root_id or n.post_id == root_id
            return n.channel_id == channel_id and in_scope

        before = len(self.entries)
        self.entries = [n for n in self.entries if not hit(n)]
        self._publish(NotificationsCleared(at=now, phone=self._phone.name, channel_id=channel_id,
                                           removed=before - len(self.entries), root_id=root_id))

    # -- what the user sees ------------------------------------------------------------------
    def remove_app(self, app_name: str) -> None:
        """Uninstalling an app removes its notifications."""
        self.entries = [n for n in self.entries if n.app != app_name]

    def render(self) -> list[str]:
        """The lock screen: one line per notification, grouped by conversation, newest group first."""
        groups: dict[tuple[str, str], list[Notification]] = {}
        for note in sorted(self.entries, key=lambda n: n.at, reverse=True):
            groups.setdefault((note.app, note.group), []).append(note)
        lines = []
        for notes in groups.values():
            for note in notes:
                stamp = datetime.fromtimestamp(note.at, timezone.utc).strftime("%H:%M")
                mark = "" if note.verified else " (unverified)"
                lines.append(f"{stamp} [{note.app}] {note.title} — {note.body}{mark}")
        return lines
