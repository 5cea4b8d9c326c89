"""Writing a synthetic panel (and its unemployment table) to Parquet or CSV."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Literal

import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.panel.months import to_month_index, to_period
from evalkit.replications.fui.synthetic.generate import SyntheticFuiData

FileFormat = Literal["parquet", "csv"]
_SUFFIXES: dict[str, FileFormat] = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def _format_of(path: Path, format: FileFormat | None) -> FileFormat:
    if format is not None:
        if format not in ("parquet", "csv"):
            raise ValueError(f"format must be 'parquet' or 'csv', got {format!r}")
        return format
    try:
        return _SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise EvalkitError(
            f"cannot tell the file format of {str(path)!r} from its suffix "
            f"{path.suffix!r}; expected one of {sorted(_SUFFIXES)} or pass format="
        ) from None


def unemployment_path(path: str | PathLike[str]) -> Path:
    """The unemployment table written beside a panel file: ``<stem>_unemployment<suffix>``."""
    path = Path(path)
    return path.with_name(f"{path.stem}_unemployment{path.suffix}")


def _write(frame: pd.DataFrame, path: Path, format: FileFormat) -> None:
    if format == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, date_format="%Y-%m-%d")


def write_panel(
    data: SyntheticFuiData, path: str | PathLike[str], *, format: FileFormat | None = None
) -> tuple[Path, Path]:
    """Write the panel to ``path`` and the unemployment table beside it.

    Parameters
    ----------
    data
        Output of :func:`simulate_fui_panel`.
    path
        Target file; the format follows the suffix (``.parquet``/``.pq`` or ``.csv``)
        unless ``format`` is given.  The unemployment table goes to
        ``<stem>_unemployment<suffix>`` in the same format.

    Returns
    -------
    tuple of Path
        The panel file and the unemployment file.
    """
    path = Path(path)
    fmt = _format_of(path, format)
    other = unemployment_path(path)
    _write(data.panel, path, fmt)
    _write(data.unemployment, other, fmt)
    return path, other


def read_unemployment(
    path: str | PathLike[str], *, format: FileFormat | None = None
) -> pd.DataFrame:
    """Read a county x month unemployment table written by :func:`write_panel`.

    ``path`` is the unemployment file itself or the panel file it was written beside.
    Returns ``county`` (str), ``month`` (datetime64, first of the month) and
    ``unemployment_pct`` (float).
    """
    path = Path(path)
    if not path.stem.endswith("_unemployment"):
        path = unemployment_path(path)
    if not path.exists():
        raise EvalkitError(f"no unemployment table at {str(path)!r}")
    fmt = _format_of(path, format)
    if fmt == "parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, dtype={"county": str, "unemployment_pct": float})
    missing = {"county", "month", "unemployment_pct"} - set(frame.columns)
    if missing:
        raise EvalkitError(f"unemployment table {str(path)!r} lacks columns {sorted(missing)}")
    frame["month"] = to_period(to_month_index(frame["month"])).dt.to_timestamp()
    return frame[["county", "month", "unemployment_pct"]]
