"""Compact notebook and terminal display shared by every result object.

One renderer: :func:`html_block` builds an HTML fragment from a title, a few key facts
and a tidy frame (long frames shortened to their first and last rows), and
:func:`short_repr` a one-line ``repr``.  Result classes provide ``summary()`` and inherit
:class:`NotebookDisplay`, so each renders through the same code.  Frames handed to it
carry months as ``2016-03`` (converted by the layer that knows months, e.g.
:func:`evalkit.panel.months.month_label`), never internal month integers.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MAX_ROWS", "NotebookDisplay", "fact_text", "html_block", "short_repr"]

#: Rows of a table shown in a notebook; longer tables show their head and tail.
MAX_ROWS = 20


def fact_text(value: Any) -> str:
    """A model fact for display: floats to six significant digits."""
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    return str(value)


def _shortened(table: pd.DataFrame, max_rows: int) -> tuple[pd.DataFrame, int]:
    """The first and last ``max_rows // 2`` rows of a long table and how many were left out."""
    if len(table) <= max_rows:
        return table, 0
    half = max_rows // 2
    return pd.concat([table.iloc[:half], table.iloc[-half:]]), len(table) - 2 * half


def html_block(
    title: str,
    facts: Mapping[str, Any],
    table: pd.DataFrame | None = None,
    notes: Iterable[str] = (),
    *,
    max_rows: int = MAX_ROWS,
) -> str:
    """An HTML fragment: the title, a table of key facts, the tidy table and notes.

    Parameters
    ----------
    title
        What the result is (shown as a heading).
    facts
        A few key numbers, label -> value (floats to six significant digits).
    table
        The tidy table; longer than ``max_rows`` it is shortened to its head and tail,
        with a line saying how many rows were left out.
    notes
        Lines shown under the table.
    max_rows
        Rows shown of ``table``.
    """
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td>{html.escape(fact_text(v))}</td></tr>"
        for k, v in facts.items()
    )
    parts = [f"<h4>{html.escape(title)}</h4>"]
    if rows:
        parts.append(f"<table>{rows}</table>")
    if table is not None:
        shown, left_out = _shortened(table, max_rows)
        parts.append(shown.to_html(float_format=lambda v: f"{v:.4f}", border=0))
        if left_out:
            parts.append(f"<p>... {left_out:,} more rows of {len(table):,} (see .tidy())</p>")
    parts.extend(f"<p>{html.escape(n)}</p>" for n in notes)
    return "".join(parts)


def short_repr(name: str, facts: Mapping[str, Any], *, limit: int = 5) -> str:
    """One line: ``<name: k=v, k=v, ...>`` with at most ``limit`` facts."""
    items = ", ".join(f"{k}={fact_text(v)}" for k, v in list(facts.items())[:limit])
    return f"<{name}: {items}>" if items else f"<{name}>"


class NotebookDisplay:
    """Mixin: ``_repr_html_`` renders ``self.summary()`` compactly (:func:`html_block`).

    The class provides ``summary()`` returning a :class:`~evalkit.results.base.Summary`
    (or any object with ``_repr_html_``).
    """

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()  # type: ignore[attr-defined]
