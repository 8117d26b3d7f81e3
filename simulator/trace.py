"""Render hops as the one-line-per-hop trace that `pushsim demo` prints."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from .events import HopAttempted

_SHOWN_FIELDS = ("payload", "body")


def _sent(hop: HopAttempted, width: int) -> str:
    text = next((v for k in _SHOWN_FIELDS if (v := hop.wire_field(k))), "")
    if text.startswith("{"):
        try:
            text = _essence(json.loads(text))
        except ValueError:
            pass  # a truncated body: show it as it is
    return text if len(text) <= width else text[: width - 1] + "…"


def _essence(body: object) -> str:
    # The keys a reader cares about first, in a stable order; the rest is in the recorder.
    if not isinstance(body, dict):
        return json.dumps(body, ensure_ascii=False)
    aps = body.get("aps")
    if isinstance(aps, dict) and "alert" in aps:
        return f"alert={json.dumps(aps['alert'], ensure_ascii=False)} type={body.get('type', '')}"
    keys = ("message", "type", "platform", "login_id", "device_id", "channel_id", "id", "status")
    picked = {k: body[k] for k in keys if k in body}
    return json.dumps(picked or body, ensure_ascii=False)


def hop_line(hop: HopAttempted, *, width: int = 56) -> str:
    """``time  source → target  protocol  lock  operation  sent  ⇒ outcome``."""
    stamp = datetime.fromtimestamp(hop.at, timezone.utc).strftime("%H:%M:%S.%f")[:-3]
    lock = "TLS  " if hop.encrypted else "PLAIN"
    mark = "ok " if hop.ok else "ERR"
    sent = _sent(hop, width)
    outcome = hop.outcome if len(hop.outcome) <= 52 else hop.outcome[:51] + "…"
    return (f"{stamp} {mark} {hop.source:>16} → {hop.target:<16} {hop.protocol.value:<11} {lock} "
            f"{hop.operation}{'  ' + sent if sent else ''}  ⇒ {outcome}")
