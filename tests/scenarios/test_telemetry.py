"""Proxy metrics: the Prometheus text parser and the metric expectation against a real /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web

from scenarios import StepFailed
from scenarios.telemetry import Metric, parse_metrics

EXPOSITION = """# HELP service_success_total Successful pushes
# TYPE service_success_total counter
service_success_total{platform="apple",type="message",transport=""} 3
service_success_total{platform="android",type="message",transport=""} 1
service_failure_with_reason_total{platform="apple",type="message",transport="",reason="Unregistered"} 2
service_bad_request_total 0
service_label_escape{msg="a \\"quoted\\" word"} 1.5e0
"""


def test_parse_metrics_reads_names_labels_and_values() -> None:
    samples = parse_metrics(EXPOSITION)
    assert samples[0] == ("service_success_total", {"platform": "apple", "type": "message", "transport": ""}, 3.0)
    assert ("service_bad_request_total", {}, 0.0) in samples
    assert samples[-1] == ("service_label_escape", {"msg": 'a "quoted" word'}, 1.5)
    assert len(samples) == 5  # comments are not samples


@pytest.fixture
async def metrics_world() -> AsyncIterator[Any]:
    """A stand-in world whose proxy serves /metrics (the real proxy does with EnableMetrics)."""
    async def metrics(_: web.Request) -> web.Response:
        return web.Response(text=EXPOSITION)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def settle(_: float) -> None:
        return None

    yield SimpleNamespace(sim=SimpleNamespace(proxy=SimpleNamespace(url=f"http://127.0.0.1:{port}")), settle=settle)
    await runner.cleanup()


async def test_a_metric_summed_over_matching_series_is_checked(metrics_world: Any) -> None:
    apple = Metric("service_success_total", (("platform", "apple"),), 3.0, None, 1.0)
    assert await apple.run(metrics_world) == "3"
    assert await Metric("service_success_total", (), None, 4.0, 1.0).run(metrics_world) == "4"
    with pytest.raises(StepFailed, match=r'^metric service_success_total\{platform="android"\} = 2 does not hold: '
                                         r"the proxy reports 1$"):
        await Metric("service_success_total", (("platform", "android"),), 2.0, None, 1.0).run(metrics_world)


async def test_a_proxy_without_metrics_fails_the_step_by_status(metrics_world: Any) -> None:
    metrics_world.sim.proxy.url += "/nothing-here"
    with pytest.raises(StepFailed, match=r"^GET /metrics answered 404 \(is EnableMetrics on\?\)$"):
        await Metric("service_success_total", (), None, 1.0, 1.0).run(metrics_world)
