"""Fake FCM (HTTP v1 + OAuth2 token endpoint). Built by the fake FCM issue; the foundation only
reserves the package so the five-package layout is fixed from the start."""

from __future__ import annotations

__all__: list[str] = []
