"""The app lifecycle as data (h11 ``_state.py`` style).

Rule 1: every allowed (state, action) pair is in TRANSITIONS; anything else is refused.
Rule 2: this module knows nothing of sockets, servers or tokens; the phone acts on the result.
"""

from __future__ import annotations

from .errors import ForbiddenTransition
from .models import Action, AppState

S, A = AppState, Action
_RUNNING_OR_NOT = (S.FOREGROUND, S.BACKGROUND, S.KILLED)

TRANSITIONS: dict[tuple[AppState, Action], AppState] = {
    (S.NOT_INSTALLED, A.INSTALL): S.LOGGED_OUT,
    (S.LOGGED_OUT, A.LOG_IN): S.FOREGROUND,
    (S.FOREGROUND, A.BACKGROUND): S.BACKGROUND,
    (S.BACKGROUND, A.FOREGROUND): S.FOREGROUND,
    (S.KILLED, A.FOREGROUND): S.FOREGROUND,
    (S.FOREGROUND, A.KILL): S.KILLED,
    (S.BACKGROUND, A.KILL): S.KILLED,
    (S.FOREGROUND, A.LOG_OUT): S.LOGGED_OUT,
    (S.LOGGED_OUT, A.UNINSTALL): S.NOT_INSTALLED,
    **{(state, A.UNINSTALL): S.NOT_INSTALLED for state in _RUNNING_OR_NOT},
}


def step(state: AppState, action: Action) -> AppState:
    """The state after ``action``; raises ForbiddenTransition when it is not allowed."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s is state)
        raise ForbiddenTransition(
            f"cannot {action.value} while the app is {state.value} (allowed: {', '.join(allowed) or 'nothing'})"
        ) from None


def is_running(state: AppState) -> bool:
    """True when the app process runs (iOS delivers content-available pushes only then)."""
    return state in (S.FOREGROUND, S.BACKGROUND, S.LOGGED_OUT)
