"""The app's keys: the binding table, and the moves behind the keys that need only the world's
controls (each returns the note the app shows when it is done).

Keys whose moves also change the app (the push server, the contents mode, clear) stay in app.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.binding import Binding, BindingType

from fake_apns import Reason

from .controls import Controls
from .trainer import Move

Move_ = Callable[[Controls], Awaitable[str]]

BINDINGS: list[BindingType] = [
    Binding("s", "send_dm", "DM"), Binding("a", "toggle_app", "fg/bg"), Binding("z", "sleep_wake", "sleep"),
    Binding("u", "uninstall_reinstall", "reinstall"), Binding("p", "push_server", "server"),
    Binding("m", "contents", "contents"), Binding("f", "fault", "fault"), Binding("c", "clear", "clear"),
    Binding("l", "log_level", "log"), Binding("t", "trainer", "trainer"), Binding("q", "quit", "quit"),
]


async def send_dm(c: Controls) -> str:
    """Account B sends Hello to Account A (the doc's trigger)."""
    return (await c.tour_move(Move.SEND))[1]


async def toggle_app(c: Controls) -> str:
    """Account A's app: foreground ↔ background."""
    return f"A's app is now {(await c.toggle_app()).value}"


async def sleep_wake(c: Controls) -> str:
    """Sleep / wake A's phone, saying why when the phone cannot sleep."""
    done, why = await c.sleep_or_wake(), c.sleep_support()
    return f"{done} ({why})" if why else done


async def uninstall_reinstall(c: Controls) -> str:
    """Delete A's app, or install it again and sign in."""
    state = await c.uninstall_or_reinstall()
    if state.value == "not_installed":
        return "A's app deleted: its push token is dead at APNs (410 Unregistered)"
    return "A's app installed again and signed in: a new push token"


def fault(reason: Reason) -> Move_:
    """The move that makes the next APNs request fail with ``reason``."""
    async def move(c: Controls) -> str:
        c.inject_fault(reason)
        return f"The next proxy → APNs request gets {reason.status} {reason.value}"
    return move
