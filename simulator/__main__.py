"""``python -m simulator`` is ``pushsim``."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
