"""Cross-cutting fixtures: the world's PKI (session, sync: an ECDSA CA is cheap) and a clock."""

from __future__ import annotations

import pytest

from simulator.clock import FakeClock
from simulator.tls import Pki


@pytest.fixture(scope="session")
def pki() -> Pki:
    return Pki()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
