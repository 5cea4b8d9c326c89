"""How a study's results are shown: term labels and the disclosure rule of small cells."""

from __future__ import annotations

from dataclasses import dataclass

from evalkit.report.disclosure import DEFAULT_MIN_CELL


@dataclass(frozen=True)
class Output:
    """Options of the rendering, not of the analysis.

    Attributes
    ----------
    lang
        Language of the tables, figures and headings: ``"en"`` or ``"nb"`` (Norwegian).
    min_cell
        Disclosure control: suppress counts below ``min_cell`` persons and rates from
        fewer; ``None`` turns it off (only for synthetic or public data).
    """

    lang: str = "en"
    min_cell: int | None = DEFAULT_MIN_CELL

    @property
    def norwegian(self) -> bool:
        """Whether the labels are Norwegian."""
        return self.lang == "nb"
