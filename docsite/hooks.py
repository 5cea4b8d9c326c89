"""MkDocs hooks: make :mod:`docsite` importable by the executed blocks of the pages."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def on_startup(**kwargs: object) -> None:
    """Put the repository root on ``sys.path`` so that pages can ``import docsite.run``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
