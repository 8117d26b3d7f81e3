"""The phones' private OS channels to APNs and FCM: token registration, reachability, delivery.

These are the only in-process shortcuts in the world (a real phone reaches its push service over
a private, OS-owned connection): registering a token, telling a push service whether a phone can
take a message now, and handing a delivered message to the phone. Each delivery is published as
an ``os-channel`` hop, so the trace shows the last step like every other.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from fake_apns import DeviceRegistry, Environment, PushAccepted
from fake_devices import Fleet, UnknownToken
from fake_fcm import Connectivity, DeletedMessagesNotified, Delivery, MessageDelivered, Registry

from .events import Correlation, HopAttempted, Protocol
from .hops import summarize_body


class ApnsRegistrar:
    """iOS: APNs issues a device token per (app topic, environment)."""

    def __init__(self, devices: DeviceRegistry) -> None:
        self._devices = devices

    def register(self, *, topic: str, sandbox: bool) -> str:
        return self._devices.register(topic=topic, environment=Environment.SANDBOX if sandbox else Environment.PRODUCTION)

    def unregister(self, token: str) -> None:
        self._devices.unregister(token)


class FcmRegistrar:
    """Android: FCM's token service issues a token per (phone, Firebase project, package)."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def register(self, *, topic: str, sandbox: bool, phone: str, project: str) -> str:
        return self._registry.register(phone, project, topic)

    def unregister(self, token: str) -> None:
        self._registry.unregister(token)


class Reach:
    """What the push services may know about a phone: is it online, is it dozing.

    Satisfies both ``fake_apns.Reachability`` (by token) and ``fake_fcm.Reachability`` (by phone).
    An iPhone asleep still takes priority-10 pushes (its lock screen shows them) while APNs holds
    low-priority ones until it wakes; an offline network makes APNs store everything.
    """

    def __init__(self, fleet: Callable[[], Fleet]) -> None:
        self._fleet = fleet  # looked up per call: a world may swap its fleet (perf-check does)

    def is_reachable(self, token: str) -> bool:
        try:
            return self._fleet().owner_of(token).online
        except UnknownToken:
            return True  # nobody holds it: delivery says so at once instead of storing for no one

    def is_asleep(self, token: str) -> bool:
        try:
            return self._fleet().owner_of(token).power.value != "awake"
        except UnknownToken:
            return False

    def connectivity(self, phone_id: str) -> Connectivity:
        phone = self._fleet().phones.get(phone_id)
        if phone is None or phone.online and phone.power.value != "doze":
            return Connectivity.ONLINE
        return Connectivity.OFFLINE if not phone.online else Connectivity.DOZE


class Deliveries:
    """Hands what APNs and FCM deliver to the phone holding the token, publishing the hop."""

    def __init__(self, fleet: Callable[[], Fleet], publish: Callable[[object], None]) -> None:
        self._fleet, self._publish = fleet, publish

    def apns(self, accepted: PushAccepted) -> None:
        """APNs → phone."""
        payload = accepted.payload
        ids = Correlation(post_id=str(payload.get("post_id", "")), ack_id=str(payload.get("ack_id", "")),
                          apns_id=accepted.apns_id)
        self._hand_over(source="apns", token=accepted.token, payload=payload, priority="high", at=accepted.at,
                        operation=f"push to {accepted.topic}", wire=(("apns-id", accepted.apns_id),), ids=ids)

    def fcm(self, delivery: Delivery) -> None:
        """FCM → phone: a message's ``data`` map, or the note that stored messages were dropped."""
        if isinstance(delivery, DeletedMessagesNotified):
            self._publish(HopAttempted(
                at=delivery.at, started=time.perf_counter(), duration_ms=0.0, source="fcm", target=delivery.phone_id,
                protocol=Protocol.FCM_CHANNEL, encrypted=True, operation=f"onDeletedMessages to {delivery.package}",
                wire=(("deleted", str(delivery.count)),), outcome="told the app messages were dropped", ok=True,
                ids=Correlation()))
            return
        assert isinstance(delivery, MessageDelivered)
        data = delivery.data
        ids = Correlation(post_id=data.get("post_id", ""), ack_id=data.get("ack_id", ""))
        self._hand_over(source="fcm", token=delivery.token, payload=data, priority=delivery.priority.value,
                        at=delivery.at, operation=f"message to {delivery.package}",
                        wire=(("message-id", delivery.message_id),), ids=ids)

    def _hand_over(self, *, source: str, token: str, payload: dict[str, Any], priority: str, at: float,
                   operation: str, wire: tuple[tuple[str, str], ...], ids: Correlation) -> None:
        started = time.perf_counter()
        fleet = self._fleet()
        try:
            phone = fleet.owner_of(token)
            outcome, ok, target = fleet.deliver(token, payload, priority=priority).outcome, True, phone.name
        except UnknownToken:
            outcome, ok, target = "no phone holds this token", False, "nowhere"
        self._publish(HopAttempted(
            at=at, started=started, duration_ms=(time.perf_counter() - started) * 1000, source=source,
            target=target, protocol=Protocol.OS_CHANNEL if source == "apns" else Protocol.FCM_CHANNEL, encrypted=True, operation=operation,
            wire=(*wire, ("payload", summarize_body(_compact(payload)))), outcome=outcome, ok=ok, ids=ids))


def _compact(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
