from __future__ import annotations

from pathlib import Path

import pytest

from simulator.chat.models import ContentsMode
from simulator.clock import FakeClock, SystemClock
from simulator.config import ConfigError, SimConfig
from simulator.proxy.config import Role


def test_fake_clock_moves_only_when_advanced() -> None:
    clock = FakeClock(start=100.0)
    assert clock() == 100.0
    assert clock.advance(3600) == 3700.0
    assert clock() == 3700.0


def test_fake_clock_refuses_to_go_back() -> None:
    with pytest.raises(ValueError, match="negative"):
        FakeClock().advance(-1)


def test_system_clock_is_wall_time() -> None:
    assert SystemClock()() > 1_700_000_000


def test_config_from_toml_converts_enums(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('[world]\nseed = 3\ncontents = "generic"\nrole = "TPNS"\nproxy_tls = false\n')
    config = SimConfig.from_toml(path)
    assert (config.seed, config.contents, config.role, config.proxy_tls) == (3, ContentsMode.GENERIC, Role.TPNS, False)


@pytest.mark.parametrize(("body", "message"), [
    ('[world]\ncolour = "red"\n', "unknown key 'colour'"),
    ('[world]\ncontents = "everything"\n', "contents = 'everything' is not one of generic_no_channel"),
    ('[world]\nseed = "seven"\n', "seed must be int"),
    ('[world]\nproxy_tls = 1\n', "proxy_tls must be bool"),
    ("[world\n", "w.toml"),
])
def test_config_errors_name_the_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "w.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        SimConfig.from_toml(path)
