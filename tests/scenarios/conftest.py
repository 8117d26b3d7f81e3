"""The pytest plugin's fixtures, imported here so these tests use them whether or not the
``pushsim`` pytest11 entry point is installed (conftest fixtures win over plugin ones), and the
session's one run of the whole library."""

from __future__ import annotations

from scenarios.plugin import pushsim_clock, pushsim_config, pushsim_phones, pushsim_scenario, pushsim_world
from tests.scenarios.library_run import library_run

__all__ = ["library_run", "pushsim_clock", "pushsim_config", "pushsim_phones", "pushsim_scenario", "pushsim_world"]
