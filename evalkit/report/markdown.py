"""Markdown tables from data frames, without extra dependencies."""

from __future__ import annotations

import pandas as pd


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.4g}"
    return str(value).replace("|", "\\|")


def frame_to_markdown(frame: pd.DataFrame, *, index: bool = True) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (column levels joined by a space)."""
    columns = [" ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in frame.columns]
    head = ([str(frame.index.name or "")] if index else []) + columns
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for label, row in zip(frame.index, frame.itertuples(index=False)):
        cells = ([_cell(label if not isinstance(label, tuple) else " ".join(map(str, label)))] if index else [])
        cells += [_cell(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
