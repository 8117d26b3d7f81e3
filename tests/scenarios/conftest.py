"""The pytest plugin's fixtures, imported here so these tests use them whether or not the
``pushsim`` pytest11 entry point is installed (conftest fixtures win over plugin ones)."""

from __future__ import annotations

from scenarios.plugin import pushsim_clock, pushsim_config, pushsim_phones, pushsim_scenario, pushsim_world

__all__ = ["pushsim_clock", "pushsim_config", "pushsim_phones", "pushsim_scenario", "pushsim_world"]
