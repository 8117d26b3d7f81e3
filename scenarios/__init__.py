"""Scenario files and their runner (grows with the scenarios issue); ``library/`` ships the
doc's procedures as TOML."""

from __future__ import annotations

from pathlib import Path

LIBRARY = Path(__file__).parent / "library"

__all__ = ["LIBRARY"]
