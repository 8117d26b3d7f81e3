"""The controls' options (for the choosers) and their command-palette entries.

Options the world cannot offer are listed with the reason, and picking one from the palette says
that reason: nothing is a silent no-op.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from fake_apns import Reason

from ..chat.models import ContentsMode
from .controls import SERVER_NOTES, PushServer
from .screens import Choice
from .trainer import TOURS

if TYPE_CHECKING:
    from .app import SimulatorApp

CONTENTS_NOTES = {
    ContentsMode.FULL: "sender, channel and message text in the push",
    ContentsMode.GENERIC: "sender and channel, no text ('sent you a message.')",
    ContentsMode.GENERIC_NO_CHANNEL: "sender only, no text",
    ContentsMode.ID_LOADED: "ids only; the app fetches the text from your server (needs a licence)",
}
# Hops whose faults the world cannot inject yet; shown in the fault chooser with the reason.
NO_FAULT_HOOK = {
    "chat → proxy": "the push proxy has no fault hook (set a fault on APNs instead)",
    "proxy → FCM": "no FCM in this world yet (Android phones come with the fake FCM)",
}


def server_choices() -> list[Choice]:
    """HPNS, TPNS, EAS and off, with what picking each does."""
    return [Choice(key=s.value, label=s.value, note=SERVER_NOTES[s]) for s in PushServer]


def contents_choices(licensed: bool) -> list[Choice]:
    """The four PushNotificationContents modes."""
    return [Choice(key=m.value, label=m.value, note=CONTENTS_NOTES[m] + (
        "; unlicensed: falls back to generic" if m is ContentsMode.ID_LOADED and not licensed else ""))
        for m in ContentsMode]


def fault_choices() -> list[Choice]:
    """Every APNs reason (proxy → APNs hop), then the hops with no fault hook."""
    choices = [Choice(key=r.value, label=f"proxy → APNs: {r.status} {r.value}") for r in Reason]
    return choices + [Choice(key=f"hop:{hop}", label=hop, unavailable=why) for hop, why in NO_FAULT_HOOK.items()]


def palette_commands(app: SimulatorApp) -> Iterable[SystemCommand]:
    """The palette's entries for every control."""
    yield SystemCommand("Send a DM from B to A", "Account B sends 'Hello' to Account A (s)", app.action_send_dm)
    yield SystemCommand("Toggle A's app foreground/background", "the doc's step 2.2 and back (a)",
                        app.action_toggle_app)
    why = app.controls.sleep_support() if app.controls else ""
    yield SystemCommand("Sleep / wake A's phone", f"z — {why}" if why else "z", app.action_sleep_wake)
    yield SystemCommand("Uninstall / reinstall A's app", "troubleshooting step 3.2 (u)", app.action_uninstall_reinstall)
    for server in PushServer:
        yield SystemCommand(f"Push server: {server.value}", SERVER_NOTES[server],
                            lambda s=server: app.switch_server(s))
    for mode in ContentsMode:
        yield SystemCommand(f"Contents: {mode.value}", CONTENTS_NOTES[mode], lambda m=mode: app.set_contents(m))
    for reason in Reason:
        yield SystemCommand(f"Inject fault: {reason.value} ({reason.status})", "the next proxy → APNs request",
                            lambda r=reason: app.inject_fault(r), discover=False)
    for hop, why in NO_FAULT_HOOK.items():
        yield SystemCommand(f"Inject fault: {hop}", f"unavailable: {why}",
                            lambda w=why, h=hop: app.notify(w, title=f"No fault on {h}", severity="warning"),
                            discover=False)
    yield SystemCommand("Clear hops, log and faults", "c", app.action_clear)
    yield SystemCommand("Server log: next level", "DEBUG shows the doc's 'Sending push notification' line (l)",
                        app.action_log_level)
    for tour in TOURS.values():
        yield SystemCommand(f"Trainer: {tour.title}", f"step through '{tour.name}' one hop at a time",
                            lambda t=tour.name: app.action_trainer(t))
