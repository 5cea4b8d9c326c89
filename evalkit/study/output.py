"""How a study's results are shown: term labels and the disclosure rule of small cells."""

from __future__ import annotations

from dataclasses import dataclass

from evalkit.report.disclosure import DEFAULT_MIN_CELL


@dataclass(frozen=True)
class Output:
    """Options of the rendering, not of the analysis.

    Attributes
    ----------
    norwegian
        Label regression terms in Norwegian.
    min_cell
        Disclosure control: suppress counts below ``min_cell`` persons and rates from
        fewer; ``None`` turns it off (only for synthetic or public data).
    """

    norwegian: bool = False
    min_cell: int | None = DEFAULT_MIN_CELL
