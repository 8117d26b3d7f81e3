"""`pushsim perf-check`: the doc's benchmark table against a real world, with nothing slept for real."""

from __future__ import annotations

import argparse
import io
import time

import pytest

from fake_devices import ADVICE, BENCHMARKS, Check, Measurement, Meter, Part
from simulator import perfcheck


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pushsim perf-check")
    perfcheck.add_arguments(parser)
    parser.add_argument("--seed", type=int)
    return parser.parse_args(list(argv))


async def check(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = await perfcheck.run(parse(*argv), out)
    return code, out.getvalue()


def rows(text: str, verdict: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(f"  {verdict}  ")]


async def test_healthy_defaults_pass_every_row_of_the_doc() -> None:
    started = time.perf_counter()
    code, out = await check()
    assert code == 0 and len(rows(out, "PASS")) == 5 * len(BENCHMARKS) and rows(out, "FAIL") == []
    for phone in ("iPhone 6s Plus (iOS 15.8) on 4G/LTE (50 ms ping, 50 Mb/s down, 8 Mb/s up)",
                  "iPhone 5s (iOS 12.5.7) on 5G (20 ms ping, 77 Mb/s down, 12 Mb/s up)",
                  "Samsung Galaxy S6 (Android 7.0) on wifi (23 ms ping, 138 Mb/s down, 12 Mb/s up)"):
        assert phone in out
    assert all(c.value in out for c in Check) and "(limit < 10 s)" in out
    assert out.rstrip().endswith("20 checks: 20 passed, 0 failed")
    assert time.perf_counter() - started < 10  # seconds of modelled time, none of it waited for


async def test_a_slow_server_fails_and_is_named_as_the_bottleneck() -> None:
    code, out = await check("--device", "iPhone 6s Plus", "--server-delay-ms", "1500")
    assert code == 1 and rows(out, "FAIL")
    blamed = [line for line in out.splitlines() if "slowest part:" in line]
    assert len(blamed) == len(rows(out, "FAIL")) and all("slowest part: server" in b for b in blamed)
    assert ADVICE[Part.SERVER] in blamed[0] and "1500 ms injected per request" in out


async def test_3g_fails_and_names_the_connection() -> None:
    code, out = await check("--device", "iPhone 6s Plus", "--network", "3g")
    assert code == 1 and "on 3G (300 ms ping, 1.6 Mb/s down, 0.768 Mb/s up)" in out
    blamed = [line for line in out.splitlines() if "slowest part:" in line]
    assert blamed and all("slowest part: connection" in b for b in blamed)
    assert "Confirm your mobile device connection is on 4G/LTE or Wifi" in blamed[0]
    assert any(Check.FROM_BACKGROUND.value in line for line in rows(out, "FAIL"))


@pytest.mark.parametrize(("argv", "error"), [
    (("--server-delay-ms", "-5"), "--server-delay-ms must not be negative"),
    (("--posts", "0"), "--posts must be between 1 and 200"),
])
async def test_bad_options_exit_2_with_the_reason(argv: tuple[str, ...], error: str) -> None:
    assert await check(*argv) == (2, f"pushsim perf-check: {error}\n")


@pytest.mark.parametrize("argv", [["--device", "Nokia 3310"], ["--network", "dialup"], ["--posts", "many"]])
def test_unknown_choices_are_refused_by_the_parser(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse(*argv)
    assert info.value.code == 2 and "invalid" in capsys.readouterr().err


def test_the_bottleneck_is_the_largest_part_and_pass_is_strictly_below_the_limit() -> None:
    meter = Meter()
    meter.charge(Part.APP, 0.4, "render")
    meter.charge(Part.CONNECTION, 0.3, "GET")
    meter.charge(Part.CONNECTION, 0.3, "GET")
    m = Measurement.of(Check.RETURN_CHANNEL, 1.0, meter)
    assert m.total_s == pytest.approx(1.0) and (m.bottleneck, m.passed) == (Part.CONNECTION, False)
    meter.reset()
    meter.charge(Part.SERVER, 0.2, "GET")
    assert Measurement.of(Check.RETURN_CHANNEL, 1.0, meter).passed


async def test_an_offline_phone_fails_every_check_with_the_apps_reason() -> None:
    code, out = await check("--device", "iPhone 5s", "--network", "offline")
    assert code == 1 and "none of the 5 checks could run: Cannot connect to the server." in out
    assert out.rstrip().endswith("5 checks: 0 passed, 5 failed")
