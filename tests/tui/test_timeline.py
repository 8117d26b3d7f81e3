"""The TUI's model of what it has seen: causal order, notification chains, evidence."""

from __future__ import annotations

from fake_apns import Environment, PushAccepted
from simulator.events import Correlation, HopAttempted, LogLine, Protocol
from simulator.tui.timeline import Timeline, post_id_of

POST = "p" * 26


def hop(started: float, source: str, target: str, operation: str, *, ids: Correlation = Correlation(),
        outcome: str = "200", wire: tuple[tuple[str, str], ...] = ()) -> HopAttempted:
    return HopAttempted(at=0.0, started=started, duration_ms=1.0, source=source, target=target,
                        protocol=Protocol.HTTPS, encrypted=True, operation=operation, wire=wire, outcome=outcome,
                        ok=True, ids=ids)


def test_hops_are_kept_in_start_order_not_arrival_order() -> None:
    timeline = Timeline()
    inner = hop(2.0, "proxy", "apns", "POST /3/device/x")
    outer = hop(1.0, "chat", "proxy", "POST /api/v1/send_push")
    timeline.absorb([inner])
    change = timeline.absorb([outer])
    assert timeline.hops == [outer, inner]
    assert change.hops == (outer,) and not change.trimmed


def test_a_post_and_its_push_are_one_chain_and_setup_hops_are_none() -> None:
    timeline = Timeline()
    posted = hop(1.0, "account-b", "chat", "POST /api/v4/posts", outcome=f'201 {{"id": "{POST}", "message": "Hello"}}',
                 wire=(("body", '{"channel_id": "c", "message": "Hello"}'),))
    pushed = hop(2.0, "chat", "proxy", "POST /api/v1/send_push", ids=Correlation(post_id=POST, ack_id="a1"))
    acked = hop(3.0, "chat", "proxy", "POST /api/v1/ack", ids=Correlation(ack_id="a1"))
    login = hop(0.5, "account-b", "chat", "POST /api/v4/users/login")
    timeline.absorb([pushed, acked, posted, login])
    assert post_id_of(posted) == POST
    assert [timeline.chain(h) for h in timeline.hops] == [0, 1, 1, 1]
    assert timeline.correlated(acked) == [posted, pushed, acked]
    assert timeline.correlated(login) == [login]
    assert timeline.message_text(pushed) == "Hello"


def test_a_hop_without_a_post_has_no_message_text() -> None:
    timeline = Timeline()
    other = hop(1.0, "chat", "proxy", "POST /api/v1/send_push", ids=Correlation(post_id="q" * 26))
    timeline.absorb([other])
    assert timeline.message_text(other) is None


def test_apns_verdicts_are_found_by_apns_id_in_any_case() -> None:
    timeline = Timeline()
    accepted = PushAccepted(at=0.0, environment=Environment.PRODUCTION, apns_id="6CB8E94F-AAAA", apns_unique_id=None,
                            token="t", topic="com.mattermost.rn", push_type="alert", priority=10, expiration=None,
                            collapse_id=None, payload={}, team_id="T", key_id="K", connection_id=1)
    sent = hop(1.0, "proxy", "apns", "POST /3/device/t", ids=Correlation(apns_id="6cb8e94f-aaaa"))
    timeline.absorb([accepted, sent])
    assert timeline.apns_verdict(sent) is accepted
    assert timeline.apns_verdict(hop(2.0, "proxy", "apns", "POST /3/device/t")) is None


def test_old_hops_are_trimmed_and_clear_forgets_hops_and_logs() -> None:
    timeline = Timeline(limit=2)
    change = timeline.absorb([hop(float(n), "a", "b", "GET /") for n in range(3)]
                             + [LogLine(at=0.0, component="chat", level="DEBUG", message="m")])
    assert change.trimmed and [h.started for h in timeline.hops] == [1.0, 2.0]
    assert len(change.logs) == 1
    timeline.clear()
    assert timeline.hops == [] and timeline.logs == []
