"""Comparison tables of estimates side by side (fixest's ``etable``, Stata's ``esttab``).

The tables are built by `maketables <https://py-econometrics.github.io/maketables/>`_
(the table library pyfixest and moderndid use): it lays out coefficients with stars,
standard errors, fixed-effects and statistics rows and renders LaTeX (booktabs rules),
HTML (great-tables) and Word (python-docx).  evalkit adds Markdown and Excel (openpyxl)
from the same laid-out frame, so every format shows the same cells.

Any evalkit result with ``tidy()`` (``term``, ``estimate``, ``std_error``, ``p_value``)
becomes a column through :func:`as_column`; published numbers become one through
:func:`published_column`.  maketables reads a column through its plug-in protocol (the
``__maketables_*__`` attributes of :class:`TableColumn`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import EvalkitError

#: Star cut-offs (p below): ``***`` 0.01, ``**`` 0.05, ``*`` 0.1, as in the FUI report.
SIGNIF_CODE: tuple[float, float, float] = (0.01, 0.05, 0.1)

#: The formats :meth:`ReportTable.save` writes, by file suffix.
FORMATS: dict[str, str] = {".md": "Markdown", ".html": "HTML", ".tex": "LaTeX (booktabs)",
                           ".docx": "Word", ".xlsx": "Excel"}


@dataclass(frozen=True)
class TableColumn:
    """One model of a comparison table.

    Parameters
    ----------
    name
        Column heading.
    estimates
        Indexed by term, columns ``estimate``, ``std_error``, ``p_value``.
    outcome
        The dependent variable (a heading above the model names).
    nobs
        Observations (the N row); ``None`` leaves the cell empty.
    fixed_effects
        Names of absorbed fixed effects (one row each, marked ``x``).
    vcov
        How the standard errors were computed (the covariance row), e.g. ``"iid"``,
        ``"CR1 by county"``.
    """

    name: str
    estimates: pd.DataFrame
    outcome: str = ""
    nobs: int | None = None
    fixed_effects: tuple[str, ...] = ()
    vcov: str = ""

    @property
    def __maketables_coef_table__(self) -> pd.DataFrame:
        return self._coef_table.copy()  # maketables reads it several times per table; a copy it may change

    @cached_property
    def _coef_table(self) -> pd.DataFrame:
        frame = self.estimates.rename(columns={"estimate": "b", "std_error": "se", "p_value": "p"})[["b", "se", "p"]]
        frame.index = frame.index.astype(str)
        frame.index.name = "Coefficient"
        return frame.astype(float)

    @property
    def __maketables_depvar__(self) -> str:
        return self.outcome

    @property
    def __maketables_fixef_string__(self) -> str | None:
        return "+".join(self.fixed_effects) or None

    @property
    def __maketables_vcov_info__(self) -> dict[str, Any]:
        return {"vcov_type": self.vcov or None, "clustervar": None}

    @property
    def __maketables_default_stat_keys__(self) -> list[str]:
        return ["N", "se_type"]

    def __maketables_stat__(self, key: str) -> Any:
        if key == "N":
            return self.nobs
        if key == "se_type":
            return self.vcov or None
        return None


def as_column(
    result: Any,
    *,
    name: str | None = None,
    outcome: str | None = None,
    fixed_effects: Sequence[str] | None = None,
    vcov: str | None = None,
    terms: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> TableColumn:
    """A column from any evalkit result (anything with ``tidy()``), or a :class:`TableColumn`.

    Parameters
    ----------
    result
        An ``EstimationResult``, ``RegressionResult``, aggregation or test result whose
        ``tidy()`` has ``term``, ``estimate``, ``std_error`` and ``p_value``.
    name, outcome
        Heading and dependent variable (default: the result's ``model_name``, the left side
        of its ``formula``).
    fixed_effects
        Absorbed fixed effects (default: the right of ``|`` in the result's formula).
    vcov
        Covariance label (default: the result's ``cov_type``).
    terms
        Renames of the result's terms, e.g. ``{"south_west:t2": "fui_effect"}``; terms not
        named keep their name.
    """
    if isinstance(result, TableColumn):
        return result
    if not callable(getattr(result, "tidy", None)):
        raise EvalkitError(
            f"etable: a {type(result).__name__} has no tidy(); pass evalkit results, TableColumn "
            "objects or published numbers through published_column()"
        )
    tidy = result.tidy(alpha=alpha) if "alpha" in _parameters(result.tidy) else result.tidy()
    missing = [c for c in ("term", "estimate", "std_error", "p_value") if c not in tidy.columns]
    if missing:
        raise EvalkitError(
            f"etable: the tidy() frame of a {type(result).__name__} lacks {missing}; it has {list(tidy.columns)}"
        )
    estimates = tidy.set_index("term")[["estimate", "std_error", "p_value"]]
    if terms:
        estimates = estimates.rename(index=dict(terms))
    formula = str(getattr(result, "formula", "") or "")
    if fixed_effects is None:
        fixed_effects = [f.strip() for f in formula.split("|", 1)[1].split("+")] if "|" in formula else []
    if outcome is None:
        outcome = formula.split("~", 1)[0].strip() if "~" in formula else ""
    nobs = getattr(result, "nobs", None)
    return TableColumn(
        name=name if name is not None else str(getattr(result, "model_name", type(result).__name__)),
        estimates=estimates,
        outcome=outcome,
        nobs=None if nobs is None else int(nobs),
        fixed_effects=tuple(fixed_effects),
        vcov=vcov if vcov is not None else str(getattr(result, "cov_type", "") or ""),
    )


def published_column(
    cells: Mapping[str, Mapping[str, float]],
    *,
    name: str = "published",
    outcome: str = "",
    nobs: int | None = None,
    vcov: str = "",
) -> TableColumn:
    """A column of published numbers: ``{term: {"coef": b, "se": se, "p": p}}``.

    A missing ``p`` is taken from the normal approximation ``2 (1 - Phi(|b / se|))``.
    """
    rows = {}
    for term, cell in cells.items():
        if "coef" not in cell or "se" not in cell:
            raise EvalkitError(f"published_column: term {term!r} needs 'coef' and 'se', got keys {sorted(cell)}")
        b, se = float(cell["coef"]), float(cell["se"])
        p = cell.get("p")
        if p is None:
            from evalkit.results.distributions import survival

            p = float(2 * survival(abs(b / se))) if se > 0 else float("nan")
        rows[term] = (b, se, float(p))
    estimates = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "std_error", "p_value"])
    return TableColumn(name=name, estimates=estimates, outcome=outcome, nobs=nobs, vcov=vcov)


def etable(
    results: Iterable[Any] | Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    order: Sequence[str] | None = None,
    heads: Sequence[Sequence[str]] | None = None,
    extra_rows: Mapping[str, Sequence[str]] | None = None,
    caption: str | None = None,
    notes: str = "",
    digits: int = 3,
    signif_code: Sequence[float] = SIGNIF_CODE,
    lang: str = "en",
) -> "ReportTable":
    """Results side by side: ``estimate`` with stars over ``(std_error)`` per term.

    Parameters
    ----------
    results
        Results (see :func:`as_column`) or :class:`TableColumn` objects; a mapping gives
        the column headings as its keys.
    labels
        Readable labels of terms (rows), e.g. ``{"fui_effect": "FUI effect"}``.
    order
        Terms in row order (others follow).
    heads
        Column heading levels, top first, each one entry per column (default: one level,
        the column names).
    extra_rows
        ``{row label: one cell per column}`` after N and the covariance row (e.g.
        ``{"Entry-month dummies": ["yes", ...]}``).
    caption, notes
        Caption; notes below the table (the star legend is added to them).
    digits
        Decimals of estimates and standard errors.
    signif_code
        Three ascending p-value cut-offs for ``***``, ``**``, ``*``.
    lang
        ``"en"`` or ``"nb"``: the language of the N, covariance and star-legend labels.
    """
    import maketables

    if isinstance(results, Mapping):
        columns = [as_column(r, name=str(k)) for k, r in results.items()]
    else:
        columns = [as_column(r) for r in results]
    if not columns:
        raise EvalkitError("etable: no results given; pass a list or {heading: result}")
    text = _WORDS[_check_lang(lang)]
    cut = list(map(float, signif_code))
    legend = star_legend(lang, signif_code)
    model_heads: Any = [list(h) for h in heads] if heads is not None else [[c.name for c in columns]]
    for level in model_heads:
        if len(level) != len(columns):
            raise EvalkitError(f"etable: a heading level has {len(level)} entries for {len(columns)} columns")
    custom = {label: list(cells) for label, cells in (extra_rows or {}).items()}
    for label, cells in custom.items():
        if len(cells) != len(columns):
            raise EvalkitError(f"etable: extra row {label!r} has {len(cells)} cells for {len(columns)} columns")
    has_fe = any(c.fixed_effects for c in columns)
    table = maketables.ETable(
        columns,
        signif_code=cut,
        coef_fmt=f"b:.{digits}f* \n (se:.{digits}f)",
        model_stats=["N", "se_type"],
        model_stats_labels={"N": "N", "se_type": text["vcov"]},
        custom_model_stats=custom or None,
        labels=dict(labels or {}),
        felabels={fe: f"{text['fe']}: {fe}" for c in columns for fe in c.fixed_effects},
        show_fe=has_fe,
        order=list(order) if order else None,
        model_heads=model_heads if len(model_heads) > 1 else model_heads[0],
        caption=caption,
        notes=" ".join(part for part in (notes, legend) if part),
    )
    return ReportTable(table)


def star_legend(lang: str = "en", signif_code: Sequence[float] = SIGNIF_CODE) -> str:
    """The sentence :func:`etable` adds to its notes: what the stars and parentheses mean."""
    return _WORDS[_check_lang(lang)]["stars"].format(*map(float, signif_code))


def frame_table(frame: pd.DataFrame, *, caption: str | None = None, notes: str = "") -> "ReportTable":
    """Any frame of formatted cells as a :class:`ReportTable` (e.g. a descriptive table)."""
    import maketables

    shown = frame.copy()
    shown.columns = [" ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in shown.columns]
    shown.index = [" ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in shown.index]
    return ReportTable(maketables.MTable(shown.astype(str), caption=caption, notes=notes))


class ReportTable:
    """A laid-out table that writes itself to Markdown, HTML, LaTeX, Word and Excel.

    ``frame`` is the table as maketables lays it out (row and column levels as a
    MultiIndex; ``estimate`` and ``(se)`` of a cell separated by a line break).
    """

    def __init__(self, table: Any) -> None:
        self._table = table

    @property
    def frame(self) -> pd.DataFrame:
        """The laid-out cells (a copy)."""
        return self._table.df.copy()

    @property
    def caption(self) -> str:
        return self._table.caption or ""

    @property
    def notes(self) -> str:
        return self._table.notes or ""

    def retitled(self, caption: str | None, notes: str) -> "ReportTable":
        """The same laid-out cells under another caption and notes, without laying them out again."""
        table = copy.copy(self._table)
        table.caption = caption
        table.notes = notes
        return ReportTable(table)

    def to_latex(self) -> str:
        """A LaTeX ``table`` with booktabs rules (needs booktabs, threeparttable, makecell, tabularx)."""
        return self._table.make("tex")

    def to_html(self, *, table_id: str = "table") -> str:
        """An HTML fragment (great-tables) with a fixed id, so the bytes are reproducible."""
        gt = self._table.make("gt")
        return _fixed_ids(gt.as_raw_html(), table_id)

    def to_markdown(self) -> str:
        """A GitHub-flavoured Markdown table, caption above, notes below."""
        from evalkit.report.markdown import frame_to_markdown

        flat = self._flat()
        parts = [f"**{self.caption}**", ""] if self.caption else []
        parts.append(frame_to_markdown(flat, index=False))
        if self.notes:
            parts += ["", self.notes]
        return "\n".join(parts)

    def to_docx(self, path: str | Path) -> Path:
        """Write a Word document holding the table (:func:`evalkit.report.docx_table.write_docx`)."""
        from evalkit.report.docx_table import write_docx

        return write_docx(self._table.df, path, caption=self._table.caption, notes=self._table.notes or "")

    def to_excel(self, path: str | Path, *, sheet: str = "table") -> Path:
        """Write an Excel workbook: caption in A1, heading rows, one row per table row, notes."""
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font

        path = Path(path)
        flat = self._flat(sep="\n")
        book = Workbook()
        ws = book.active
        ws.title = sheet[:31]
        row = 1
        if self.caption:
            ws.cell(row=row, column=1, value=self.caption).font = Font(bold=True)
            row += 2
        for j, name in enumerate(flat.columns, start=1):
            ws.cell(row=row, column=j, value=str(name)).font = Font(bold=True)
        for values in flat.itertuples(index=False):
            row += 1
            for j, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=j, value=str(value))
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        if self.notes:
            ws.cell(row=row + 2, column=1, value=self.notes)
        ws.column_dimensions["A"].width = 40
        _fix_workbook_dates(book)
        book.save(str(path))
        return path

    def save(self, path: str | Path) -> Path:
        """Write the table in the format of the file's suffix (see :data:`FORMATS`)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            raise EvalkitError(
                f"cannot write a table to {path.name!r}: the suffix {suffix or '(none)'!r} is not one of "
                f"{', '.join(f'{s} ({n})' for s, n in FORMATS.items())}"
            )
        if suffix == ".docx":
            return self.to_docx(path)
        if suffix == ".xlsx":
            return self.to_excel(path)
        text = {".md": self.to_markdown, ".tex": self.to_latex}.get(suffix)
        content = text() if text else _html_page(self.to_html(table_id=_slug(path.stem)), self.caption)
        path.write_text(content + "\n", encoding="utf-8")
        return path

    def _flat(self, sep: str = " ") -> pd.DataFrame:
        """One heading row (levels joined by a space) and one text column per row level."""
        df = self._table.df
        heads = [" ".join(str(x) for x in (c if isinstance(c, tuple) else (c,)) if str(x) and not _NUMBER.fullmatch(str(x)))
                 for c in df.columns]
        index = df.index
        labels = [i[-1] if isinstance(i, tuple) else i for i in index]
        cells = df.map(lambda v: re.sub(r"\s*\n\s*", sep, str(v)).strip())
        out = pd.DataFrame(cells.to_numpy(), columns=heads)
        out.insert(0, "", [str(x) for x in labels])
        return out

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"<ReportTable {self.caption!r}: {self._table.df.shape[0]} rows x {self._table.df.shape[1]} columns>"


_WORDS = {
    "en": {"vcov": "Standard errors", "fe": "Fixed effects",
           "stars": "Significance: *** p < {0:g}, ** p < {1:g}, * p < {2:g}; standard errors in parentheses."},
    "nb": {"vcov": "Standardfeil", "fe": "Faste effekter",
           "stars": "Signifikans: *** p < {0:g}, ** p < {1:g}, * p < {2:g}; standardfeil i parentes."},
}


#: maketables' model-number heading "(1)", "(2)", ... (left out of the one-row Markdown/Excel heading).
_NUMBER = re.compile(r"\(\d+\)")


def _check_lang(lang: str) -> str:
    if lang not in _WORDS:
        raise EvalkitError(f"lang must be one of {sorted(_WORDS)} (English, Norwegian bokmål), got {lang!r}")
    return lang


def _parameters(fn: Any) -> set[str]:
    import inspect

    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "table"


def _fixed_ids(html: str, table_id: str) -> str:
    """Replace great-tables' random element id by ``table_id`` (reproducible HTML)."""
    found = re.search(r'<div id="([^"]+)"', html)
    return html.replace(found.group(1), table_id) if found else html


def _html_page(fragment: str, title: str) -> str:
    import html as html_lib

    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html_lib.escape(title or 'table')}</title>"
            f"</head><body>{fragment}</body></html>")


def _fix_workbook_dates(book: Any) -> None:
    """Fixed creation and modification dates, so the same table gives the same cells and properties."""
    import datetime

    stamp = datetime.datetime(2000, 1, 1)
    book.properties.created = stamp
    book.properties.modified = stamp


__all__ = ["FORMATS", "SIGNIF_CODE", "ReportTable", "TableColumn", "as_column", "etable", "frame_table",
           "published_column", "star_legend"]
