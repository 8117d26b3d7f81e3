from __future__ import annotations

import pytest

from fake_devices import (POWER_TRANSITIONS, TRANSITIONS, Action, AppState, ForbiddenTransition, Platform, PowerAction,
                          PowerState, step, step_power)

S, A, P, PA = AppState, Action, PowerState, PowerAction


@pytest.mark.parametrize(("state", "action", "after"), [(s, a, t) for (s, a), t in TRANSITIONS.items()],
                         ids=lambda v: getattr(v, "value", v))
def test_every_allowed_transition(state: AppState, action: Action, after: AppState) -> None:
    assert step(state, action) is after


@pytest.mark.parametrize(("state", "action"), [
    (S.NOT_INSTALLED, A.LOG_IN), (S.NOT_INSTALLED, A.BACKGROUND), (S.NOT_INSTALLED, A.UNINSTALL),
    (S.LOGGED_OUT, A.BACKGROUND), (S.FOREGROUND, A.INSTALL), (S.FOREGROUND, A.LOG_IN),
    (S.BACKGROUND, A.BACKGROUND), (S.KILLED, A.KILL), (S.KILLED, A.LOG_OUT), (S.LOGGED_OUT, A.KILL),
    (S.NOT_INSTALLED, A.FOREGROUND), (S.LOGGED_OUT, A.INSTALL),
])
def test_forbidden_transitions_say_what_is_allowed(state: AppState, action: Action) -> None:
    with pytest.raises(ForbiddenTransition, match=f"cannot {action.value} while the app is {state.value}"):
        step(state, action)


def test_every_state_can_be_left_except_by_reinstall_paths() -> None:
    reachable = {after for after in TRANSITIONS.values()} | {S.NOT_INSTALLED}
    assert reachable == set(AppState)


def test_the_install_login_uninstall_reinstall_path() -> None:
    state = S.NOT_INSTALLED
    for action in (A.INSTALL, A.LOG_IN, A.BACKGROUND, A.KILL, A.FOREGROUND, A.LOG_OUT, A.LOG_IN, A.UNINSTALL,
                   A.INSTALL, A.LOG_IN):
        state = step(state, action)
    assert state is S.FOREGROUND


@pytest.mark.parametrize(("state", "action", "after"), [(s, a, t) for (s, a), t in POWER_TRANSITIONS.items()],
                         ids=lambda v: getattr(v, "value", v))
def test_every_allowed_power_transition_on_android(state: PowerState, action: PowerAction, after: PowerState) -> None:
    assert step_power(state, action, platform=Platform.ANDROID) is after


@pytest.mark.parametrize(("state", "action"), [(P.AWAKE, PA.WAKE), (P.ASLEEP, PA.SLEEP), (P.AWAKE, PA.DOZE),
                                               (P.DOZE, PA.SLEEP), (P.DOZE, PA.DOZE)])
def test_forbidden_power_transitions(state: PowerState, action: PowerAction) -> None:
    with pytest.raises(ForbiddenTransition, match=f"cannot {action.value} while the phone is {state.value}"):
        step_power(state, action, platform=Platform.ANDROID)


def test_iphones_do_not_doze() -> None:
    assert step_power(P.AWAKE, PA.SLEEP, platform=Platform.IOS) is P.ASLEEP
    with pytest.raises(ForbiddenTransition, match="ios has no Doze mode"):
        step_power(P.ASLEEP, PA.DOZE, platform=Platform.IOS)
