"""The proxy's Prometheus metrics (§6): names, labels and the text format."""

from __future__ import annotations

from simulator.proxy import ProxyMetrics

FAMILIES = {
    "service_notifications_total": "counter", "service_notifications_by_app_version_total": "counter",
    "service_success_total": "counter", "service_success_with_ack_total": "counter",
    "service_failure_total": "counter", "service_failure_with_reason_total": "counter",
    "service_removal_total": "counter", "service_bad_request_total": "counter",
    "service_apns_request_duration_seconds": "histogram", "service_fcm_request_duration_seconds": "histogram",
    "service_request_duration_seconds": "histogram", "service_notification_duration_seconds": "histogram",
}


def types(text: str) -> dict[str, str]:
    return {line.split()[2]: line.split()[3] for line in text.splitlines() if line.startswith("# TYPE")}


def test_a_fresh_proxy_shows_only_the_label_less_families() -> None:
    text = ProxyMetrics().render()
    assert types(text) == {"service_bad_request_total": "counter",
                           "service_apns_request_duration_seconds": "histogram",
                           "service_fcm_request_duration_seconds": "histogram",
                           "service_request_duration_seconds": "histogram"}
    assert "service_bad_request_total 0\n" in text
    assert 'service_request_duration_seconds_bucket{le="+Inf"} 0\n' in text


def test_every_family_has_the_real_name_type_and_labels() -> None:
    m = ProxyMetrics()
    m.notifications.inc("apple", "message", "")
    m.app_version("apple_rn", 2)
    m.sent("apple", "message", "", with_ack=True)
    m.removed("android", "message", "", "UNREGISTERED")
    m.bad_request.inc()
    m.notification_duration.observe(0.02, "apple")
    text = m.render()
    assert types(text) == FAMILIES
    for line in ('service_notifications_total{platform="apple",transport="",type="message"} 1',
                 'service_notifications_by_app_version_total{app_version="2",platform="apple_rn"} 1',
                 'service_success_total{platform="apple",transport="",type="message"} 1',
                 'service_success_with_ack_total{platform="apple",transport="",type="message"} 1',
                 'service_removal_total{platform="android",reason="UNREGISTERED",transport=""} 1',
                 'service_failure_total{platform="android",transport="",type="message"} 1',
                 'service_failure_with_reason_total{platform="android",reason="UNREGISTERED",transport="",'
                 'type="message"} 1',
                 "service_bad_request_total 1",
                 'service_notification_duration_seconds_bucket{platform="apple",le="0.01"} 0',
                 'service_notification_duration_seconds_bucket{platform="apple",le="0.025"} 1',
                 'service_notification_duration_seconds_bucket{platform="apple",le="+Inf"} 1',
                 'service_notification_duration_seconds_sum{platform="apple"} 0.02',
                 'service_notification_duration_seconds_count{platform="apple"} 1'):
        assert line in text.splitlines(), line


def test_app_versions_above_two_are_other() -> None:
    m = ProxyMetrics()
    for version in (1, 2, 3, 7):
        m.app_version("apple_rn", version)
    assert m.by_app_version.series == {("apple_rn", "1"): 1, ("apple_rn", "2"): 1, ("apple_rn", "other"): 2}


def test_delivered_is_counted_but_never_exposed() -> None:
    m = ProxyMetrics()
    m.delivered.inc("ios", "message", "")
    assert m.delivered.value("ios", "message", "") == 1
    assert "service_delivered_total" not in m.render()


def test_success_without_ack_id_is_not_counted_with_ack() -> None:
    m = ProxyMetrics()
    m.sent("android", "test", "", with_ack=False)
    assert (m.success.value("android", "test", ""), m.success_with_ack.series) == (1, {})


def test_label_values_are_escaped() -> None:
    m = ProxyMetrics()
    m.failed("apple", 'we"ird\n', "", "x\\y")
    assert 'reason="x\\\\y",transport="",type="we\\"ird\\n"} 1' in m.render()
