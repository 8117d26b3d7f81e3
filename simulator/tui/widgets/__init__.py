"""The TUI's widgets, one module per area (≤200 lines each)."""

from __future__ import annotations

from .caption import Caption
from .hop_detail import HopDetail, render_dissection
from .phone import PhoneSnapshot, PhoneView, render_phone
from .server_log import LEVELS, ServerLog, log_text
from .status_bar import StatusBar, WorldStatus
from .lanes import lane_art, short_operation
from .swimlane import Swimlane

__all__ = [
    "Caption", "HopDetail", "LEVELS", "PhoneSnapshot", "PhoneView", "ServerLog", "StatusBar", "Swimlane",
    "WorldStatus", "lane_art", "log_text", "render_dissection", "render_phone", "short_operation",
]
