"""Reading data files as analysts export them: CSV in any common dialect, Parquet, Stata, SAS.

A CSV file carries no types, so every column is read as text: identifiers keep their
leading zeros (``"01"`` is not ``"1"``) and codes stay codes; the panel's rules then read
months, indicators and years from text exactly as they read them from typed columns.
What a CSV export varies in is detected, or given:

- the encoding: a UTF-8 byte-order mark, valid UTF-8, or else the best of a few Western
  code pages (cp1252, latin-1, ISO 8859-15) as judged by ``charset-normalizer``;
- the separator: the one of ``,`` ``;`` tab ``|`` that splits the first lines into the
  same number of fields;
- the decimal mark: a comma when the separator is not one and cells look like ``3,5``.

Cells that are empty, ``NA``, ``NaN``, ``NULL``, ``None`` or ``.`` (Stata's and SAS's
missing) are missing.
"""

from __future__ import annotations

import csv
import re
import struct
from os import PathLike
from pathlib import Path

import charset_normalizer
import pandas as pd

from evalkit.errors import DataFileError
from evalkit.panel.validate import MISSING_TEXT


_SEPARATORS = (",", ";", "\t", "|")
_SAMPLE_BYTES = 1 << 20
_ENCODINGS = ["utf_8", "cp1252", "latin_1", "iso8859_15"]
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_CSV_SUFFIXES = (".csv", ".txt", ".tsv", ".tab", ".dat")


def file_format(path: Path) -> str:
    """``"csv"``, ``"parquet"``, ``"stata"`` or ``"sas"`` from the file name (``.gz`` allowed)."""
    suffixes = [s.lower() for s in path.suffixes]
    last = suffixes[-2] if suffixes and suffixes[-1] in (".gz", ".bz2", ".zip", ".xz") and len(suffixes) > 1 else (
        suffixes[-1] if suffixes else ""
    )
    if path.is_dir() or last in (".parquet", ".pq"):
        return "parquet"
    if last in _CSV_SUFFIXES:
        return "csv"
    if last == ".dta":
        return "stata"
    if last in (".sas7bdat", ".xpt"):
        return "sas"
    raise DataFileError(
        f"cannot tell the format of {str(path)!r} from its name: expected .csv (or .txt/.tsv, "
        "optionally .gz), .parquet, .dta (Stata) or .sas7bdat (SAS)"
    )


def detect_encoding(sample: bytes) -> str:
    """The encoding of a text sample: BOM, valid UTF-8, else charset-normalizer's best guess."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    cut = sample.rfind(b"\n") if len(sample) == _SAMPLE_BYTES else len(sample)
    try:
        sample[: cut if cut > 0 else len(sample)].decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(sample, cp_isolation=_ENCODINGS).best()
    return best.encoding if best is not None else "cp1252"


def detect_separator(lines: list[str]) -> str:
    """The separator that splits the first lines into the same number (> 1) of fields."""
    best, best_fields = ",", 1
    for sep in _SEPARATORS:
        counts = {len(row) for row in csv.reader(lines, delimiter=sep)}
        if len(counts) == 1 and (n := counts.pop()) > best_fields:
            best, best_fields = sep, n
    return best


def detect_decimal(lines: list[str], sep: str) -> str:
    """``","`` when the separator is not a comma and some cells look like ``3,5``."""
    if sep == ",":
        return "."
    for row in csv.reader(lines[1:], delimiter=sep):
        if any(_DECIMAL_COMMA.match(cell) for cell in row):
            return ","
    return "."


def read_text_table(
    path: Path, *, encoding: str | None = None, sep: str | None = None, decimal: str | None = None
) -> pd.DataFrame:
    """A CSV file as a frame of text columns (missing cells missing), dialect detected."""
    with open(path, "rb") as fh:
        sample = fh.read(_SAMPLE_BYTES)
    if path.suffix.lower() != ".gz" and not sample.strip():
        raise DataFileError(f"file {str(path)!r} is empty: expected a header line and rows")
    if encoding is None:
        encoding = detect_encoding(sample) if path.suffix.lower() != ".gz" else "utf-8"
        if b"\x00" in sample and not encoding.startswith("utf-16"):
            raise DataFileError(
                f"file {str(path)!r} does not look like text (it holds NUL bytes); if it is text "
                "in an encoding evalkit does not detect, give it: encoding='utf-16' (--encoding utf-16)"
            )
    try:
        head = sample.decode(encoding, errors="replace").splitlines()[:50]
    except LookupError:
        raise DataFileError(f"unknown encoding {encoding!r} for {str(path)!r}; e.g. 'utf-8' or 'cp1252'") from None
    if path.suffix.lower() == ".gz":
        head = []
    sep = sep or (detect_separator(head) if head else ",")
    decimal = decimal or (detect_decimal(head, sep) if head else ".")
    try:
        frame = pd.read_csv(
            path, sep=sep, encoding=encoding, dtype=str, keep_default_na=False,
            na_values=list(MISSING_TEXT), low_memory=False,
        )
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"file {str(path)!r} is not {encoding} text ({exc.reason} at byte {exc.start}); "
            "give its encoding, e.g. encoding='cp1252' (--encoding cp1252)"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(
            f"cannot read {str(path)!r} as CSV with separator {sep!r}: {exc}; give the separator, "
            "e.g. sep=';' (--sep ';')"
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if decimal != ".":
        frame = frame.apply(lambda col: col.str.replace(rf"^(\s*[+-]?\d+){re.escape(decimal)}(\d+\s*)$", r"\1.\2", regex=True))
    return frame


def read_data_file(
    source: str | PathLike[str], *, encoding: str | None = None, sep: str | None = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Read a CSV, Parquet, Stata (``.dta``) or SAS (``.sas7bdat``) file into pandas.

    CSV columns are all text (see the module docstring); the other formats keep their
    stored types (Stata value labels are not applied: the codes are read as stored).

    Raises
    ------
    DataFileError
        When the file is missing, empty, of an unknown format, or cannot be decoded.
    """
    path = Path(source)
    if not path.exists():
        raise DataFileError(f"data file {str(path)!r} does not exist")
    fmt = file_format(path)
    try:
        if fmt == "csv":
            return read_text_table(path, encoding=encoding, sep=sep, decimal=decimal)
        if fmt == "parquet":
            return pd.read_parquet(path)
        if fmt == "stata":
            return pd.read_stata(path, convert_categoricals=False, convert_missing=False)
        return pd.read_sas(path, encoding=encoding or "infer")
    except DataFileError:
        raise
    except (OSError, ValueError, struct.error, EOFError) as exc:
        raise DataFileError(f"cannot read {str(path)!r} as a {fmt} file: {exc}") from None
