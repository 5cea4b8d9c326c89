"""Terminal text that fits a width: wrapped prose, wrapped tables, readable p-values.

Every line written by a terminal renderer is at most :data:`WIDTH` (100) characters:
prose is wrapped with :func:`paragraph` / :func:`bullet`, and tables wider than the width
continue below in blocks of columns (pandas' ``line_width``: a long table of horizons
wraps by horizon).
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd

__all__ = ["WIDTH", "bullet", "format_p", "paragraph", "table"]

#: Maximum line length of terminal output.
WIDTH = 100


def format_p(p: float | None, *, digits: int = 3) -> str:
    """A p-value for reading: ``< 0.001`` below the last digit shown, ``0.042`` otherwise."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    floor = 10.0**-digits
    return f"< {floor:.{digits}f}" if p < floor else f"{p:.{digits}f}"


def paragraph(text: str, *, width: int = WIDTH, indent: str = "") -> str:
    """``text`` wrapped to ``width`` (each existing line wrapped on its own)."""
    lines = []
    for line in text.splitlines() or [""]:
        lead = line[: len(line) - len(line.lstrip())]
        wrapped = textwrap.wrap(line.strip(), width=width, initial_indent=indent + lead,
                                subsequent_indent=indent + lead + "  ", break_on_hyphens=False)
        lines += wrapped or [""]
    return "\n".join(lines)


def bullet(text: str, *, width: int = WIDTH) -> str:
    """``- text`` wrapped with a hanging indent."""
    return textwrap.fill(text, width=width, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False)


def table(frame: pd.DataFrame, *, width: int = WIDTH, index: bool = True) -> str:
    """``frame`` as text; columns that do not fit continue below in blocks of at most ``width``."""
    text = frame.to_string(index=index, line_width=width)
    return "\n".join(line.rstrip() for line in text.splitlines())
