from __future__ import annotations

import pytest

from fake_devices import TRANSITIONS, Action, AppState, ForbiddenTransition, step

S, A = AppState, Action


@pytest.mark.parametrize(("state", "action", "after"), [(s, a, t) for (s, a), t in TRANSITIONS.items()],
                         ids=lambda v: getattr(v, "value", v))
def test_every_allowed_transition(state: AppState, action: Action, after: AppState) -> None:
    assert step(state, action) is after


@pytest.mark.parametrize(("state", "action"), [
    (S.NOT_INSTALLED, A.LOG_IN), (S.NOT_INSTALLED, A.BACKGROUND), (S.NOT_INSTALLED, A.UNINSTALL),
    (S.LOGGED_OUT, A.BACKGROUND), (S.FOREGROUND, A.INSTALL), (S.FOREGROUND, A.LOG_IN),
    (S.BACKGROUND, A.BACKGROUND), (S.KILLED, A.KILL), (S.KILLED, A.LOG_OUT),
])
def test_forbidden_transitions_say_what_is_allowed(state: AppState, action: Action) -> None:
    with pytest.raises(ForbiddenTransition, match=f"cannot {action.value} while the app is {state.value}"):
        step(state, action)


def test_every_state_can_be_left_except_by_reinstall_paths() -> None:
    reachable = {after for after in TRANSITIONS.values()} | {S.NOT_INSTALLED}
    assert reachable == set(AppState)
