"""Reading a study's input files, each complaint naming the setting that gave the file.

The setting is named as the user gave it: ``--data`` when the path came from that command
line option, ``study file 'x.toml', [data] panel`` when it came from a study file.  Every
file is checked to exist and be non-empty before anything is read, and a reader's
complaint about a file (not UTF-8, not Parquet, a quote left open) becomes a
:class:`~evalkit.errors.StudyError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from evalkit.errors import DataFileError, EvalkitError, StudyError
from evalkit.panel import ColumnRoles, StatusPanel, read_panel, scan_panel
from evalkit.progress import stage

PARQUET = (".parquet", ".pq")


def input_file(path: str, where: str) -> Path:
    """An existing, non-empty file (not a directory)."""
    p = Path(path)
    if not p.exists():
        raise StudyError(f"{where} {path}: no such file")
    if p.is_dir():
        raise StudyError(f"{where} {path} is a directory; expected a file")
    if p.stat().st_size == 0:
        raise StudyError(f"{where} {path} is empty (0 bytes)")
    return p


@contextlib.contextmanager
def naming_the_file(where: str, path: str) -> Iterator[None]:
    """Prefix evalkit's complaints about an input file with the setting (and the path)."""
    try:
        yield
    except StudyError:
        raise
    except EvalkitError as err:
        message = str(err)
        raise StudyError(f"{where}: {message}" if path in message else f"{where} {path}: {message}") from err


def read_roles(path: str, where: str) -> ColumnRoles:
    """The roles file, read (and checked) before any data."""
    input_file(path, where)
    with naming_the_file(where, path):
        return ColumnRoles.from_toml(path)


def unreadable_file(err: Exception) -> bool:
    """Whether ``err`` is a Parquet reader's complaint about the file (not an evalkit bug)."""
    import duckdb
    import pyarrow

    return isinstance(err, (duckdb.IOException, duckdb.InvalidInputException, pyarrow.ArrowInvalid, pyarrow.ArrowIOError))


def load_panel(path: str, roles: ColumnRoles | None, csv_options: Mapping[str, str], where: str) -> StatusPanel:
    """Validate the panel: Parquet in DuckDB (never loaded whole), text files in pandas."""
    stage(f"reading and validating {path}")
    try:
        if path.lower().endswith(PARQUET):
            return scan_panel(path, roles=roles)
        return read_panel(path, roles=roles, **csv_options)
    except UnicodeDecodeError as err:
        raise StudyError(
            f"{where} {path} cannot be decoded as {err.encoding} ({err.reason} at byte {err.start}); "
            "give its encoding with --encoding or encoding in the study's [data] table (e.g. cp1252 or latin-1)"
        ) from err
    except Exception as err:
        if unreadable_file(err) or isinstance(err, DataFileError):
            reason = str(err).strip().splitlines()[0]
            kind = "Parquet" if path.lower().endswith(PARQUET) else "a table"
            raise StudyError(f"{where} {path} cannot be read as {kind}: {reason}") from err
        raise
