"""Disclosure control of outputs from register microdata: the one minimum-cell rule.

Outputs from Norwegian register microdata may leave the secure environment (TSD,
microdata.no, a NAV or SSB research server) only as aggregates in which no person can be
recognised.  Statistics Norway's confidentiality rules (the Statistics Act § 7 and § 14,
microdata.no's "Confidentiality in microdata.no" appendix) forbid results from which
information about one unit can be read; the rule used by most output checkers of such
data is a *minimum cell size*: a count of fewer than ``min_cell`` persons is not shown,
and neither is a rate (percentage, share, mean, model estimate) computed from fewer than
``min_cell`` persons or one that would reveal such a count.  The default,
:data:`DEFAULT_MIN_CELL` = 5, is the common threshold ("counts below 5 are suppressed");
your data owner's rule decides: set it with ``min_cell`` (``--min-cell N``) and turn the
rule off only for synthetic or public data (``--no-disclosure-control``).

What is suppressed (every renderer of evalkit calls this module; none decides alone):

- a count ``n`` with ``0 < n < min_cell`` (a zero describes nobody and is shown);
- a rate whose numerator count is suppressed, or whose denominator is below ``min_cell``;
- secondary suppression in additive groups: when the cells of a group add up to a shown
  total and exactly one cell is suppressed, the smallest other non-zero cell is
  suppressed too, so the hidden one cannot be recovered by subtraction
  (:meth:`DisclosureControl.additive`).

Suppressed cells are ``None`` in JSON with the field named in the record's
``suppressed`` list, and :attr:`DisclosureControl.marker` (``<5``) in text, Markdown and
HTML tables, with :attr:`DisclosureControl.note` saying so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from evalkit.errors import EvalkitError

__all__ = ["DEFAULT_MIN_CELL", "SOURCE", "DisclosureControl"]

#: Default minimum number of persons behind a shown count or rate.
DEFAULT_MIN_CELL = 5

#: Where the rule comes from (stated in notes and docs/reports.md).
SOURCE = (
    "Statistics Norway's confidentiality rules for output from register microdata "
    "(Statistics Act §§ 7 and 14; microdata.no, 'Confidentiality in microdata.no')"
)


@dataclass(frozen=True)
class DisclosureControl:
    """The minimum-cell rule applied to every count and rate of a report.

    Parameters
    ----------
    min_cell
        Smallest count shown (a whole number of at least 1; 1 suppresses nothing).
    enabled
        ``False`` shows every cell as computed (only for synthetic or public data).
    """

    min_cell: int = DEFAULT_MIN_CELL
    enabled: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.min_cell, bool) or not isinstance(self.min_cell, int) or self.min_cell < 1:
            raise EvalkitError(f"min_cell must be a whole number of at least 1, got {self.min_cell!r}")

    @classmethod
    def off(cls) -> DisclosureControl:
        """No suppression (the user said so: synthetic or public data)."""
        return cls(enabled=False)

    @property
    def marker(self) -> str:
        """What a suppressed cell shows in text, Markdown and HTML: ``<5``."""
        return f"<{self.min_cell}"

    @property
    def note(self) -> str:
        """The sentence every report prints under its tables."""
        if not self.enabled:
            return "Disclosure control is off: small counts are shown as computed (synthetic or public data only)."
        return (
            f"Disclosure control: counts of 1 to {self.min_cell - 1} persons, rates and estimates from fewer than "
            f"{self.min_cell}, and cells that would reveal them are suppressed ({self.marker} in tables, "
            "null in JSON)."
        )

    def small(self, count: float | None) -> bool:
        """Whether a count of persons must not be shown (``0 < count < min_cell``)."""
        if not self.enabled or count is None or (isinstance(count, float) and math.isnan(count)):
            return False
        return 0 < count < self.min_cell

    def too_few(self, denominator: float | None) -> bool:
        """Whether a rate or estimate from ``denominator`` persons must not be shown."""
        if not self.enabled or denominator is None or (isinstance(denominator, float) and math.isnan(denominator)):
            return False
        return denominator < self.min_cell

    def rate_hidden(self, numerator: float | None, denominator: float | None) -> bool:
        """Whether a rate ``numerator / denominator`` must not be shown."""
        return self.small(numerator) or self.too_few(denominator)

    def additive(self, counts: Sequence[float | None], *, total_shown: bool = True) -> list[bool]:
        """Primary and secondary suppression of cells that add up to a shown total.

        Returns one flag per cell.  With ``total_shown`` and exactly one cell suppressed
        (the primary rule), the smallest other non-zero cell is suppressed as well.
        """
        hidden = [self.small(c) for c in counts]
        if total_shown and sum(hidden) == 1:
            others = [(c, i) for i, c in enumerate(counts) if not hidden[i] and c is not None and c > 0]
            if others:
                hidden[min(others)[1]] = True
        return hidden

    def provenance(self) -> dict[str, object]:
        """The rule as recorded in a results document."""
        return {"enabled": self.enabled, "min_cell": self.min_cell, "marker": self.marker, "source": SOURCE,
                "note": self.note}
