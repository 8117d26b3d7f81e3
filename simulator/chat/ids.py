"""Mattermost ids: 26 lowercase characters, base32 with Mattermost's own alphabet.

The real ``model.NewId`` encodes a random (version 4) UUID with the alphabet below and no
padding; 128 bits give 26 characters. Randomness is injected so a seeded world is repeatable.
"""

from __future__ import annotations

import base64
import random

ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"
_FROM_STD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET)
ID_LENGTH = 26


class IdFactory:
    """Makes Mattermost-style ids from an injected ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def new_id(self) -> str:
        """A fresh 26-character id (same shape as the server's ``NewId``)."""
        raw = bytearray(self._rng.getrandbits(128).to_bytes(16, "big"))
        raw[6] = (raw[6] & 0x0F) | 0x40  # UUID version 4, as uuid.NewRandom sets it
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        return base64.b32encode(bytes(raw)).decode("ascii").rstrip("=").translate(_FROM_STD)


def is_valid_id(value: str) -> bool:
    """True if ``value`` looks like a Mattermost id (length and alphabet)."""
    return len(value) == ID_LENGTH and all(c in ALPHABET for c in value)
