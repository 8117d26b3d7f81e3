"""The proxy's per-push shortcuts give what the plain code gives: a notification built through its
slots equals one built by __init__, the shared JSON encoder writes what json.dumps writes, and a
histogram counts a value on a bucket's bound in that bucket."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, dataclass

import pytest

from simulator.proxy.metrics import Histogram
from simulator.proxy.models import PushNotification, _slot_builder, marshal_like_go

BODY = (b'{"ack_id":"a1","platform":"apple_rn-v2","server_id":"s1","device_id":"d1","badge":3,'
        b'"MESSAGE":"\\ud800 caf\xc3\xa9","is_crt_enabled":true,"sub_type":"calls","unknown":[1,{"x":null}]}')


def test_a_decoded_notification_equals_one_built_by_init_and_stays_frozen() -> None:
    decoded = PushNotification.from_json(BODY)
    assert decoded == PushNotification(ack_id="a1", platform="apple_rn-v2", server_id="s1", device_id="d1", badge=3,
                                       message="\ufffd café", is_crt_enabled=True, sub_type="calls")
    assert hash(decoded) == hash(PushNotification.from_json(BODY))
    with pytest.raises(FrozenInstanceError):
        decoded.message = "changed"  # type: ignore[misc]


def test_the_slot_builder_refuses_a_class_it_cannot_build_exactly() -> None:
    @dataclass(frozen=True, slots=True, kw_only=True)
    class Required:
        name: str

    @dataclass(frozen=True, slots=True, kw_only=True)
    class Checked:
        name: str = ""

        def __post_init__(self) -> None:
            raise ValueError("never skipped")

    for cls in (Required, Checked):
        with pytest.raises(TypeError, match="plain default"):
            _slot_builder(cls)


@pytest.mark.parametrize("sort_keys", [False, True])
def test_marshal_like_go_writes_what_json_dumps_writes_plus_gos_escapes(sort_keys: bool) -> None:
    value = {"z": [1, 2.5, None, True], "a": {"msg": "<b>&é\u2028"}, "n": -0.0, "big": 10**20}
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    expected = expected.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    assert marshal_like_go(value, sort_keys=sort_keys) == expected.replace("\u2028", "\\u2028").encode()


def test_marshal_like_go_refuses_what_json_cannot_write() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        marshal_like_go({"when": object()})


def test_a_value_on_a_bound_counts_in_that_bucket_and_buckets_are_cumulative() -> None:
    histogram = Histogram("h", "help", buckets=(0.1, 1.0))
    for value in (0.1, 0.5, 1.0, 7.0):
        histogram.observe(value)
    assert histogram.render()[2:] == ['h_bucket{le="0.1"} 1', 'h_bucket{le="1"} 3', 'h_bucket{le="+Inf"} 4',
                                      "h_sum 8.6", "h_count 4"]
