"""The app lifecycle and the phone's power states as data (h11 ``_state.py`` style).

Rule 1: every allowed (state, action) pair is in a table; anything else is refused.
Rule 2: this module knows nothing of sockets, servers or tokens; the phone acts on the result.
Rule 3: the two machines are independent; the phone couples them (sleeping backgrounds the
foreground app), so each table stays small enough to test exhaustively.
"""

from __future__ import annotations

from .errors import ForbiddenTransition
from .models import Action, AppState, Platform, PowerAction, PowerState

S, A, P, PA = AppState, Action, PowerState, PowerAction
_INSTALLED = (S.LOGGED_OUT, S.FOREGROUND, S.BACKGROUND, S.KILLED)

TRANSITIONS: dict[tuple[AppState, Action], AppState] = {
    (S.NOT_INSTALLED, A.INSTALL): S.LOGGED_OUT,
    (S.LOGGED_OUT, A.LOG_IN): S.FOREGROUND,
    (S.FOREGROUND, A.BACKGROUND): S.BACKGROUND,
    (S.BACKGROUND, A.FOREGROUND): S.FOREGROUND,
    (S.KILLED, A.FOREGROUND): S.FOREGROUND,  # a fresh start
    (S.FOREGROUND, A.KILL): S.KILLED,
    (S.BACKGROUND, A.KILL): S.KILLED,
    (S.FOREGROUND, A.LOG_OUT): S.LOGGED_OUT,
    # A `session` push reaching JS in the background logs that server out (§8.3).
    (S.BACKGROUND, A.LOG_OUT): S.LOGGED_OUT,
    **{(state, A.UNINSTALL): S.NOT_INSTALLED for state in _INSTALLED},
}

POWER_TRANSITIONS: dict[tuple[PowerState, PowerAction], PowerState] = {
    (P.AWAKE, PA.SLEEP): P.ASLEEP,
    (P.ASLEEP, PA.WAKE): P.AWAKE,
    (P.ASLEEP, PA.DOZE): P.DOZE,
    (P.DOZE, PA.WAKE): P.AWAKE,
}


def _refuse(what: str, state: str, allowed: list[str]) -> ForbiddenTransition:
    return ForbiddenTransition(f"cannot {what} while the {state} (allowed: {', '.join(allowed) or 'nothing'})")


def step(state: AppState, action: Action) -> AppState:
    """The state after ``action``; raises ForbiddenTransition when it is not allowed."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s is state)
        raise _refuse(action.value, f"app is {state.value}", allowed) from None


def step_power(state: PowerState, action: PowerAction, *, platform: Platform) -> PowerState:
    """The phone's power state after ``action``; Doze exists on Android only."""
    if action is PA.DOZE and platform is not Platform.ANDROID:
        raise ForbiddenTransition(f"cannot doze: {platform.value} has no Doze mode (Android only)")
    try:
        return POWER_TRANSITIONS[(state, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in POWER_TRANSITIONS if s is state)
        raise _refuse(action.value, f"phone is {state.value}", allowed) from None


def is_running(state: AppState) -> bool:
    """True when the app process runs (iOS delivers content-available pushes only then)."""
    return state in (S.FOREGROUND, S.BACKGROUND, S.LOGGED_OUT)


def js_running(state: AppState) -> bool:
    """True when the app's JS side gets pushes forwarded (React initialised: foreground or background)."""
    return state in (S.FOREGROUND, S.BACKGROUND)
